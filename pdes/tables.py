"""Markdown tables generated from result rows (never typed by hand).

>>> print(markdown([{"a": 1, "b": 0.5}], [("A", "a", "{}"), ("B", "b", "{:.1e}")]))
| A | B |
|---|---|
| 1 | 5.0e-01 |
"""

from collections.abc import Iterable, Mapping, Sequence

Column = tuple[str, str, str]
"""(header, row key, format string)."""


def _cell(value, fmt: str) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else fmt.format(value)
    return text.replace("|", "\\|")  # a pipe inside a cell would split it


def markdown(rows: Iterable[Mapping], columns: Sequence[Column]) -> str:
    """A GitHub-flavoured markdown table with one line per row."""
    lines = [
        "| " + " | ".join(header for header, _, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key), fmt) for _, key, fmt in columns) + " |")
    return "\n".join(lines)
