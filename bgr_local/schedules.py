"""The Schedule events of template.yaml, locally: a thread per scheduled function invoking it with
the event EventBridge sends, every few seconds instead of the template's rate (so tests and
`make demo` see a deadline pass within seconds of its time)."""

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from .functions import Functions
from .instance import FunctionError
from .template import ACCOUNT, Template

logger = logging.getLogger(__name__)
INTERVAL_ENV = "BGR_LOCAL_SCHEDULE_INTERVAL"
DEFAULT_INTERVAL_S = 5.0


@dataclass(frozen=True)
class Schedule:
    function: str  # logical id
    rule: str  # the event's logical id
    expression: str  # rate(...) or cron(...) in AWS; locally every interval


def schedules(template: Template) -> list[Schedule]:
    found = []
    for logical, resource in template.of_type("AWS::Serverless::Function").items():
        for name, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] == "Schedule":
                found.append(Schedule(logical, name, template.resolve(event["Properties"]["Schedule"])))
    return found


def scheduled_event(schedule: Schedule, region: str) -> dict:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{schedule.function}{schedule.rule}"],
        "detail": {},
    }


class ScheduleRunner(threading.Thread):
    def __init__(self, schedule: Schedule, functions: Functions, region: str, interval_s: float):
        super().__init__(name=f"schedule-{schedule.function}", daemon=True)
        self.schedule, self.functions, self.region, self.interval_s = schedule, functions, region, interval_s
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()
        self.join()

    def run(self) -> None:
        while not self._stopping.wait(self.interval_s):
            try:
                self.functions.invoke(self.schedule.function, scheduled_event(self.schedule, self.region))
            except Exception as err:
                if isinstance(err, FunctionError) and err.payload["errorType"] == "Runtime.Closed":
                    return  # the runtime is stopping (its functions close before its schedules)
                logger.exception("%s failed; it runs again in %s s", self.schedule.function, self.interval_s)
