"""Result tables: one per benchmark, printed as text and written as Markdown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    """One measured figure next to its baseline; ``ratio`` is figure / baseline."""

    figure: str
    gerbang: str
    baseline: str
    ratio: str = ""


@dataclass
class Table:
    title: str
    gerbang_label: str
    baseline_label: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def header(self) -> tuple[str, str, str, str]:
        return ("figure", self.gerbang_label, self.baseline_label, "ratio")

    def cells(self) -> list[tuple[str, str, str, str]]:
        return [(r.figure, r.gerbang, r.baseline, r.ratio) for r in self.rows]


def fmt_ratio(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return "n/a"
    return f"{value:.2f}×"


def fmt_seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def render_text(table: Table) -> str:
    """A fixed-width table for the terminal."""
    rows = [table.header, *table.cells()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: tuple[str, ...]) -> str:
        # Figures left-aligned, numbers right-aligned so the columns read at a glance.
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths, strict=True)))

    out = [table.title, "=" * len(table.title), fmt(table.header), line,
           *(fmt(row) for row in table.cells())]
    out += [f"  * {note}" for note in table.notes]
    return "\n".join(out)


def render_markdown(table: Table) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = [f"### {table.title}", "",
           "| " + " | ".join(esc(c) for c in table.header) + " |",
           "| --- | ---: | ---: | ---: |"]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in table.cells()]
    if table.notes:
        out.append("")
        out += [f"- {note}" for note in table.notes]
    return "\n".join(out)


def render_document(tables: list[Table], preamble: list[str]) -> str:
    parts = ["# Gerbang benchmark results", "", *preamble, ""]
    for table in tables:
        parts += [render_markdown(table), ""]
    return "\n".join(parts)
