"""The SQS event source mappings of template.yaml, locally: per queue, as many pollers as its
function may run instances at once (Lambda scales its pollers the same way), each receiving
batches and running the function with the event Lambda would send. Like Lambda's, they scale
with the backlog: while a queue is empty one poller waits on it (the others sleep, so an idle
runtime is not busy polling), and every poller takes batches while receives return messages.
Records the function
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
        self._turns = threading.Condition()
        self._receiving = 0  # pollers in a receive now
        self._backlog = False  # the last receive returned messages
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
        with self._turns:
            self._stopping.set()
            self._turns.notify_all()

    def stop(self) -> None:
        self.halt()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _run(self) -> None:
        while self._take_turn():
            try:
                self._poll()
            except Exception:
                if not self._stopping.is_set():
                    logger.exception("%s: poll failed", self.mapping.function)
                self._stopping.wait(POLL_WAIT_S)

    def _take_turn(self) -> bool:
        """Waits until this poller is to receive: while there is a backlog, or when no other
        poller is receiving. False once halted."""
        with self._turns:
            while not self._stopping.is_set():
                if self._backlog or not self._receiving:
                    self._receiving += 1
                    return True
                self._turns.wait()
            return False

    def _receive(self) -> list[dict]:
        messages = []
        try:
            messages = self.sqs.receive_message(
                QueueUrl=self.mapping.queue_url,
                MaxNumberOfMessages=self.mapping.batch_size,
                WaitTimeSeconds=POLL_WAIT_S,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        finally:
            with self._turns:
                self._receiving -= 1
                self._backlog = bool(messages)
                self._turns.notify_all()
        return messages

    def _poll(self) -> None:
        messages = self._receive()
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
