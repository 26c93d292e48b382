"""`serve --state-dir DIR`: the tables' items and the bucket's objects are written to DIR when
`serve` stops and put back when it starts, so balances, jobs, batches, API keys and their images
survive a restart. What is in flight is not kept: queued messages and running ZIP executions
belong to the process that stops (stop `serve` when the queues are idle).

Objects are put back before the bucket's notifications are configured, so a restored original
is not announced (and cut out, and charged) a second time."""

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

BATCH_WRITE = 25  # DynamoDB's BatchWriteItem limit


@dataclass
class StateDir:
    path: Path

    @property
    def _saved(self) -> Path:
        """The last complete save (`.old` while a save swaps it for the next one)."""
        saved = self.path / "saved"
        return saved if saved.exists() else self.path / ".old"

    @property
    def _tables(self) -> Path:
        return self._saved / "tables.json"

    @property
    def _objects(self) -> Path:
        return self._saved / "objects"

    def _items(self, table: str) -> list[dict]:
        if not self._tables.exists():
            return []
        return json.loads(self._tables.read_text()).get(table, [])

    def restore_items(self, ddb, table: str) -> None:
        items = self._items(table)
        for start in range(0, len(items), BATCH_WRITE):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE]]
            unprocessed = {table: requests}
            while unprocessed:
                unprocessed = ddb.batch_write_item(RequestItems=unprocessed).get("UnprocessedItems")

    def restore_objects(self, s3, bucket: str) -> None:
        manifest = self._objects / bucket / "manifest.json"
        if not manifest.exists():
            return
        for index, entry in enumerate(json.loads(manifest.read_text())):
            with (self._objects / bucket / str(index)).open("rb") as body:
                s3.put_object(
                    Bucket=bucket,
                    Key=entry["key"],
                    Body=body,
                    ContentType=entry["contentType"],
                    Metadata=entry["metadata"],
                )

    def save(self, ddb, s3, tables: list[str], buckets: list[str]) -> None:
        """Writes next to the last save, then swaps them: a save cut short leaves the last one."""
        self.path.mkdir(parents=True, exist_ok=True)
        staging = self.path / ".saving"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        saved = {}
        for table in tables:
            pages = ddb.get_paginator("scan").paginate(TableName=table)
            saved[table] = [item for page in pages for item in page["Items"]]
        (staging / "tables.json").write_text(json.dumps(saved))
        for bucket in buckets:
            folder = staging / "objects" / bucket
            folder.mkdir(parents=True)
            manifest = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for listed in page.get("Contents", ()):
                    got = s3.get_object(Bucket=bucket, Key=listed["Key"])
                    with (folder / str(len(manifest))).open("wb") as out:
                        shutil.copyfileobj(got["Body"], out)
                    manifest.append(
                        {"key": listed["Key"], "contentType": got["ContentType"], "metadata": got["Metadata"]}
                    )
            (folder / "manifest.json").write_text(json.dumps(manifest))
        saved, old = self.path / "saved", self.path / ".old"
        shutil.rmtree(old, ignore_errors=True)
        if saved.exists():
            os.replace(saved, old)
        os.replace(staging, saved)
        shutil.rmtree(old, ignore_errors=True)
