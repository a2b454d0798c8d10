"""Benchmark task definitions: each suite returns result rows (plain JSON-serialisable dicts),
and :func:`table` turns rows into the markdown table that the README and the CLI show."""

from pdes import tables
from pdes.benchmarks._convergence import convergence_rows
from pdes.benchmarks._laplacian_cost import METHODS, laplacian_cost_rows
from pdes.benchmarks._references import reference_rows

SUITES = {
    "convergence": convergence_rows,
    "laplacian": laplacian_cost_rows,
    "references": reference_rows,
}


def table(suite: str, rows: list[dict]) -> str:
    """The markdown table of one suite's rows."""
    if suite == "convergence":
        return tables.markdown(
            rows,
            [
                ("operator", "operator", "{}"),
                ("scheme", "scheme", "{}"),
                ("boundary", "boundary", "{}"),
                ("expected order", "expected_order", "{}"),
                ("observed order", "observed_order", "{:.2f}"),
                ("finest error", "finest_error", "{:.1e}"),
                ("resolutions", "resolutions", "{}"),
            ],
        )
    if suite == "laplacian":
        measures = (
            ("ms_per_batch", "ms", "{:.2f}"),
            ("train_ms_per_batch", "train ms", "{:.2f}"),
            ("temp_mb", "MB", "{:.1f}"),
        )
        by_d: dict = {}
        for row in rows:
            entry = by_d.setdefault(row["d"], {"d": row["d"]})
            for key, _, _ in measures:
                entry[f"{key}:{row['method']}"] = row[key]
        columns = [("d", "d", "{}")] + [
            (f"{label}: {method}", f"{key}:{method}", fmt)
            for key, label, fmt in measures
            for method in METHODS
        ]
        return tables.markdown(by_d.values(), columns)
    if suite == "references":
        return tables.markdown(
            rows,
            [
                ("problem", "problem", "{}"),
                ("reference", "method", "{}"),
                ("grid", "grid", "{}"),
                ("check", "check", "{}"),
                ("value", "value", "{:.8g}"),
                ("target", "target", "{}"),
                ("source", "source", "{}"),
                ("seconds", "seconds", "{:.1f}"),
            ],
        )
    raise ValueError(f"unknown benchmark suite {suite!r}; suites: {', '.join(SUITES)}")


__all__ = ["SUITES", "convergence_rows", "laplacian_cost_rows", "reference_rows", "table"]
