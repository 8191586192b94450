"""Rows of the result table, budgets with pass/fail, and their text / markdown / JSON renderings."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    """A measured value (seconds, MB, a count or a ratio), or why there is none.

    `cpu` is the CPU time (user + system) of the same run when it was measured: the steadier
    figure on a shared machine.
    """

    value: float | None
    unit: str = "s"
    missing: str | None = None
    detail: str = ""
    cpu: float | None = None

    @classmethod
    def na(cls, reason: str) -> Figure:
        return cls(None, missing=reason)

    def text(self) -> str:
        if self.value is None:
            return f"n/a ({self.missing})" if self.missing else "n/a"
        shown = format_value(self.value, self.unit)
        return f"{shown} {self.detail}".strip()


@dataclass(frozen=True, slots=True)
class Budget:
    """A limit from the issue: `limit` in the figure's unit; lower is better."""

    name: str
    limit: float
    unit: str = "s"

    def verdict(self, figure: Figure) -> str:
        if figure.value is None:
            return "n/a"
        if figure.value <= self.limit:
            return "PASS"
        if self.limit == 0:
            return f"FAIL ({format_value(figure.value, self.unit)}, must be 0)"
        return f"FAIL ({figure.value / self.limit:.1f}x the budget)"


@dataclass(slots=True)
class Row:
    """One line of the table: envsense's figure against one peer's on the same workload."""

    measurement: str
    envsense: Figure
    peer: str = ""
    peer_figure: Figure | None = None
    budget: Budget | None = None

    @property
    def ratio(self) -> str:
        """envsense / peer, as issue 14 states ratios: below 1x, envsense is faster (or smaller).

        With CPU times on both sides, the CPU ratio follows in parentheses.
        """
        peer = self.peer_figure
        if peer is None or peer.value is None or self.envsense.value is None:
            return ""
        if peer.value <= 0:
            return ""
        text = f"{self.envsense.value / peer.value:.2f}x"
        if self.envsense.cpu is not None and peer.cpu:
            text += f" (CPU {self.envsense.cpu / peer.cpu:.2f}x)"
        return text


@dataclass(slots=True)
class Report:
    """Everything one run produced."""

    machine: dict[str, str]
    rows: list[Row] = field(default_factory=list)
    scaling: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def budgets(self) -> list[tuple[str, str, str, str]]:
        """(budget, limit, envsense figure, verdict) for every row that carries a budget."""
        result = []
        for row in self.rows:
            if row.budget is not None:
                limit = format_value(row.budget.limit, row.budget.unit)
                result.append(
                    (row.budget.name, limit, row.envsense.text(), row.budget.verdict(row.envsense))
                )
        return result


def format_value(value: float, unit: str) -> str:
    if unit == "s":
        if value < 1:
            return f"{value * 1000:.1f} ms"
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "count":
        return f"{value:.0f}"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:g} {unit}"


def _table(header: list[str], body: list[list[str]]) -> list[list[str]]:
    return [header, *body]


def table_rows(report: Report) -> list[list[str]]:
    body = []
    for row in report.rows:
        peer_text = row.peer_figure.text() if row.peer_figure is not None else ""
        body.append([row.measurement, row.envsense.text(), row.peer, peer_text, row.ratio])
    return _table(["measurement", "envsense", "peer", "peer figure", "ratio"], body)


def budget_rows(report: Report) -> list[list[str]]:
    return _table(["budget", "limit", "envsense", "verdict"], [list(b) for b in report.budgets()])


def render_text(rows: list[list[str]]) -> str:
    """A fixed-width table for the terminal (long n/a reasons are shortened)."""
    clipped = [[cell if len(cell) <= 70 else cell[:67] + "..." for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in clipped) for i in range(len(clipped[0]))]
    lines = []
    for index, row in enumerate(clipped):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def render_markdown(rows: list[list[str]]) -> str:
    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(escape(c) for c in rows[0]) + " |"]
    lines.append("|" + "---|" * len(rows[0]))
    lines += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def render_report_markdown(report: Report) -> str:
    parts = ["## Machine", ""]
    parts += [f"- {key}: {value}" for key, value in report.machine.items()]
    parts += ["", "## Results", "", render_markdown(table_rows(report))]
    parts += ["", "## Budgets", "", render_markdown(budget_rows(report))]
    if report.scaling:
        parts += ["", "## Scaling", "", render_markdown(report.scaling)]
    if report.notes:
        parts += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    for name, text in report.profiles.items():
        parts += ["", f"## Profile: {name}", "", "```", text.rstrip(), "```"]
    return "\n".join(parts) + "\n"


def write_json(report: Report, path: Path) -> None:
    data = {
        "machine": report.machine,
        "rows": [asdict(row) | {"ratio": row.ratio} for row in report.rows],
        "budgets": report.budgets(),
        "scaling": report.scaling,
        "notes": report.notes,
    }
    path.write_text(json.dumps(data, indent=2, default=str))
