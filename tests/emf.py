"""What bgr_core.platform.observability publishes, read back: CloudWatch EMF records on stdout."""

import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    unit: str
    dimensions: dict[str, str]  # besides `service`
    namespace: str
    service: str


def published(out: str) -> list[Metric]:
    """Every metric of every EMF record in `out`, one per value."""
    metrics = []
    for line in out.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        record = json.loads(line)
        for directive in record["_aws"]["CloudWatchMetrics"]:
            names = {name for dimension_set in directive["Dimensions"] for name in dimension_set}
            dimensions = {name: record[name] for name in names - {"service"}}
            for metric in directive["Metrics"]:
                values = record[metric["Name"]]
                for value in values if isinstance(values, list) else [values]:
                    metrics.append(
                        Metric(
                            metric["Name"],
                            value,
                            metric["Unit"],
                            dimensions,
                            directive["Namespace"],
                            record["service"],
                        )
                    )
    return metrics


def capture(monkeypatch, capsys) -> Callable[[], list[Metric]]:
    """Metrics switched on (the tests run with POWERTOOLS_METRICS_DISABLED); the returned function
    gives the metrics published since its last call."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()
    return lambda: published(capsys.readouterr().out)


def named(metrics: list[Metric], name: str) -> list[tuple[dict[str, str], float]]:
    return [(m.dimensions, m.value) for m in metrics if m.name == name]
