"""What the local runtime reads from template.yaml: the SQS event sources and every function's
handler, image functions included."""

from bgr_local.functions import Functions
from bgr_local.workers import lambda_record, mappings
from harness import TEMPLATE


def test_each_sqs_event_source_becomes_a_worker_mapping():
    by_function = {m.function: m for m in mappings(TEMPLATE)}
    assert set(by_function) == {
        "IngestRouterFunction",
        "LightInferenceFunction",
        "MattingInferenceFunction",
        "DeadLetterFunction",
        "WebhookFunction",
    }
    router = by_function["IngestRouterFunction"]
    assert router.queue_arn == TEMPLATE.arn("IngestQueue")
    assert router.queue_url == TEMPLATE.ref("IngestQueue")
    assert router.batch_size == 10
    light, matting = by_function["LightInferenceFunction"], by_function["MattingInferenceFunction"]
    assert light.queue_url == TEMPLATE.ref("LightInferenceQueue") and light.batch_size == 4
    assert matting.queue_url == TEMPLATE.ref("MattingInferenceQueue") and matting.batch_size == 1
    assert by_function["DeadLetterFunction"].queue_arn == TEMPLATE.arn("IngestDeadLetterQueue")
    assert by_function["WebhookFunction"].queue_url == TEMPLATE.ref("WebhookQueue")


def test_a_received_message_becomes_the_lambda_sqs_record():
    mapping = next(m for m in mappings(TEMPLATE) if m.function == "LightInferenceFunction")
    message = {
        "MessageId": "m1",
        "ReceiptHandle": "r1",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "2"},
    }
    record = lambda_record(message, mapping.queue_arn, TEMPLATE.region)
    assert record["messageId"] == "m1" and record["receiptHandle"] == "r1" and record["body"] == "{}"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == mapping.queue_arn


def test_every_function_has_a_local_handler_image_functions_from_their_dockerfile():
    functions = Functions(TEMPLATE).by_logical
    assert set(functions) == set(TEMPLATE.of_type("AWS::Serverless::Function"))
    for logical in ("LightInferenceFunction", "MattingInferenceFunction"):
        inference = functions[logical]
        assert (inference.code_uri, inference.handler) == ("functions/inference", "app.handler")
        assert inference.timeout_s == 120
    assert functions["UploadFunction"].handler == "app.handler"


def test_each_function_s_environment_has_what_lambda_reserves_from_the_template():
    pools = Functions(TEMPLATE).pools
    for logical, resource in TEMPLATE.of_type("AWS::Serverless::Function").items():
        environment = pools[logical].environment
        assert environment["AWS_LAMBDA_FUNCTION_NAME"] == TEMPLATE.name(logical)
        memory = resource["Properties"].get(
            "MemorySize", TEMPLATE.body["Globals"]["Function"].get("MemorySize")
        )
        assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(memory)
