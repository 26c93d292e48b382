"""The template's alarms watch the resources they name (every dead-letter queue, both inference
functions, the ZIP workflow, the API), notify AlarmTopicArn only when it is given, and the
dashboard shows them with the metrics bgr_core.platform.observability publishes."""

import json

import pytest

from bgr_local.template import Template
from harness import TEMPLATE

TOPIC = f"arn:aws:sns:{TEMPLATE.region}:123456789012:on-call"


def alarms(template: Template = TEMPLATE) -> dict[str, dict]:
    return {
        logical: template.resolve(resource["Properties"])
        for logical, resource in template.of_type("AWS::CloudWatch::Alarm").items()
    }


def watching(namespace: str, metric: str, **dimensions: str) -> list[dict]:
    """The alarms on `metric` with exactly these (resolved) dimensions."""
    return [
        alarm
        for alarm in alarms().values()
        if (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric)
        and {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == dimensions
    ]


def dead_letter_queues() -> set[str]:
    targets = set()
    for resource in TEMPLATE.of_type("AWS::SQS::Queue").values():
        redrive = resource["Properties"].get("RedrivePolicy")
        if redrive:
            targets.add(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0])
    return targets


def test_every_dead_letter_queue_alarms_on_its_first_message():
    assert dead_letter_queues() == {"IngestDeadLetterQueue", "WebhookDeadLetterQueue"}
    for queue in dead_letter_queues():
        (alarm,) = watching("AWS/SQS", "ApproximateNumberOfMessagesVisible", QueueName=TEMPLATE.name(queue))
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_both_inference_functions_alarm_on_errors_and_throttles(metric):
    image_functions = [
        logical
        for logical, resource in TEMPLATE.of_type("AWS::Serverless::Function").items()
        if resource["Properties"].get("PackageType") == "Image"
    ]
    assert sorted(image_functions) == ["LightInferenceFunction", "MattingInferenceFunction"]
    for function in image_functions:
        (alarm,) = watching("AWS/Lambda", metric, FunctionName=TEMPLATE.ref(function))
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Sum",
            "GreaterThanThreshold",
            0,
        )


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut"])
def test_the_zip_workflow_alarms_when_an_execution_fails_or_times_out(metric):
    (machine,) = TEMPLATE.of_type("AWS::Serverless::StateMachine")
    (alarm,) = watching("AWS/States", metric, StateMachineArn=TEMPLATE.arn(machine))
    assert alarm["Threshold"] == 0


def test_the_api_alarms_on_server_errors_of_its_stage():
    api = TEMPLATE.resources["Api"]["Properties"]
    name, stage = TEMPLATE.resolve(api["Name"]), TEMPLATE.resolve(api["StageName"])
    (alarm,) = watching("AWS/ApiGateway", "5XXError", ApiName=name, Stage=stage)
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] > 0


def test_alarms_notify_the_topic_only_when_one_is_given():
    assert TEMPLATE.parameter("AlarmTopicArn") == ""
    for alarm in alarms().values():
        assert "AlarmActions" not in alarm and "OKActions" not in alarm
    notifying = Template(stack_name="bgr-test", parameters={"AlarmTopicArn": TOPIC})
    assert len(alarms(notifying)) == 9
    for alarm in alarms(notifying).values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [TOPIC]


def test_the_dashboard_shows_every_alarm_and_the_business_metrics():
    (dashboard,) = TEMPLATE.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.loads(TEMPLATE.resolve(dashboard["Properties"]["DashboardBody"]))
    widgets = body["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(TEMPLATE.arn(a) for a in alarms())
    expressions = " ".join(
        line[0]["expression"]
        for w in widgets
        if w["type"] == "metric"
        for line in w["properties"]["metrics"]
        if isinstance(line[0], dict)
    )
    namespace = TEMPLATE.environment("LightInferenceFunction")["POWERTOOLS_METRICS_NAMESPACE"]
    assert expressions.count(f'{{"{namespace}",') == 5
    for metric in (
        "ImagesProcessed",
        "BatchesFinished",
        "CreditsCharged",
        "CreditsRefunded",
        "JobFailures",
        "QueueAge",
    ):
        assert f'"{metric}"' in expressions
    charted = [  # namespace, metric, dimension name, value... (less a trailing options object)
        line[:-1] if isinstance(line[-1], dict) else line
        for w in widgets
        if w["type"] == "metric"
        for line in w["properties"]["metrics"]
    ]
    for alarm in alarms().values():  # each alarm's metric is on a chart too
        dimensions = [x for d in alarm["Dimensions"] for x in (d["Name"], d["Value"])]
        assert [alarm["Namespace"], alarm["MetricName"], *dimensions] in charted


def test_every_function_publishes_under_one_service_and_the_stacks_namespace():
    environments = [TEMPLATE.environment(f) for f in TEMPLATE.of_type("AWS::Serverless::Function")]
    assert {(e["POWERTOOLS_SERVICE_NAME"], e["POWERTOOLS_METRICS_NAMESPACE"]) for e in environments} == {
        ("background-remover", f"BackgroundRemoverPro/{TEMPLATE.stack_name}")
    }
