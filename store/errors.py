"""Rejected input: every problem, each with file, line, column, value and reason."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputRejected", "Problem"]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{where}:{value} {self.reason}"


class InputRejected(Exception):
    """The input was refused; nothing was written. The CLI exits with code 2."""

    def __init__(self, problems: list[Problem], *, limit: int | None = None):
        self.problems = sorted(
            problems, key=lambda p: (p.file, p.line or 0, p.column or "", p.reason)
        )
        shown = self.problems if limit is None else self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) found:"] + [f"  {p}" for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        super().__init__("\n".join(lines))
