"""The SQS event source mappings of template.yaml, locally: per queue, as many pollers as its
function may run instances at once (Lambda scales its pollers the same way), each receiving
batches and running the function with the event Lambda would send. Records the function
reports in `batchItemFailures` (or all of them, when it raises) are left on the queue to come
back after the visibility timeout and, after maxReceiveCount, go to the dead-letter queue."""

import logging
import threading
from dataclasses import dataclass

import boto3

from .functions import Functions
from .template import Template

logger = logging.getLogger(__name__)
POLL_WAIT_S = 1  # long-poll, short enough for a prompt shutdown


@dataclass(frozen=True)
class Mapping:
    function: str  # logical id
    queue_url: str
    queue_arn: str
    batch_size: int


def mappings(template: Template) -> list[Mapping]:
    queues = {template.arn(q): q for q in template.of_type("AWS::SQS::Queue")}
    found = []
    for logical, resource in template.of_type("AWS::Serverless::Function").items():
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                arn = template.resolve(event["Properties"]["Queue"])
                size = int(event["Properties"].get("BatchSize", 10))
                found.append(Mapping(logical, template.ref(queues[arn]), arn, min(size, 10)))
    return found


def lambda_record(message: dict, queue_arn: str, region: str) -> dict:
    """A received SQS message as Lambda's event source mapping hands it to the function."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class QueueWorker:
    def __init__(self, mapping: Mapping, functions: Functions, region: str, pollers: int = 1):
        self.mapping, self.functions, self.region = mapping, functions, region
        self.sqs = boto3.client("sqs", region_name=region)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"worker-{mapping.function}-{i}", daemon=True)
            for i in range(pollers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def halt(self) -> None:
        """Takes no new messages; what is in flight ends as the functions end."""
        self._stopping.set()

    def stop(self) -> None:
        self.halt()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception:
                if not self._stopping.is_set():
                    logger.exception("%s: poll failed", self.mapping.function)
                self._stopping.wait(POLL_WAIT_S)

    def poll(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.mapping.queue_url,
            MaxNumberOfMessages=self.mapping.batch_size,
            WaitTimeSeconds=POLL_WAIT_S,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        event = {"Records": [lambda_record(m, self.mapping.queue_arn, self.region) for m in messages]}
        try:
            result = self.functions.invoke(self.mapping.function, event) or {}
        except Exception:
            if self._stopping.is_set():  # the runtime is stopping: the messages come back later
                return
            logger.exception(
                "%s failed; its %d messages will be redelivered", self.mapping.function, len(messages)
            )
            return
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
