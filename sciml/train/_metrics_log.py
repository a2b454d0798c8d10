"""``metrics.jsonl``: one JSON object per logging step, appended whole lines at a time."""

import json
import math
from pathlib import Path

from sciml import _io


def _plain(value):
    if isinstance(value, bool | int | str):
        return value
    value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Inf; keep them visible as strings
    return value


class MetricsLog:
    """Appends rows to ``path``; a resumed run first drops rows past its restored step."""

    def __init__(self, path: str | Path, *, enabled: bool = True):
        self.path = Path(path)
        self.enabled = enabled

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut short by a kill: everything after it is dropped too
        return rows

    def truncate_after(self, step: int, stage: str | None = None) -> list[dict]:
        """Drop this ``stage``'s rows past ``step`` (atomically); returns the stage's rows kept."""
        rows = self.rows()
        kept = [r for r in rows if r.get("stage") != stage or r.get("step", 0) <= step]
        if self.enabled:
            _io.write_jsonl(self.path, kept)
        return [r for r in kept if r.get("stage") == stage]

    def append(self, rows: list[dict]) -> None:
        if not self.enabled or not rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            for row in rows:
                f.write(json.dumps({k: _plain(v) for k, v in row.items()}) + "\n")
            f.flush()
