"""What `bgr batch` remembers of a batch (its upload forms, which files it sent), so that an
interrupted run can be resumed: ~/.bgr/batches/<batchId>.json (BGR_STATE_DIR moves it)."""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


def _home() -> Path:
    return Path(os.environ.get("BGR_STATE_DIR") or Path.home() / ".bgr") / "batches"


@dataclass
class BatchState:
    batch_id: str
    files: list[str]  # the local file name of each item, by index
    uploads: list[dict]  # the API's forms: itemIndex, filename, url, fields, expiresAt
    uploaded: list[int] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return _home() / f"{self.batch_id}.json"

    @classmethod
    def load(cls, batch_id: str) -> "BatchState":
        path = _home() / f"{batch_id}.json"
        if not path.exists():
            raise SystemExit(f"no saved upload forms for batch {batch_id} here ({path})")
        return cls(**json.loads(path.read_text()))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(self)))
        partial.replace(self.path)  # never half a file, whenever the run is interrupted

    def sent(self, index: int) -> None:
        self.uploaded.append(index)
        self.save()
