"""What the engine tier measured, printed at the end of the pytest run and kept in ``bench/out/``.

Wall times of each stack's pulumi commands and the findings of each linter per stack (total,
covered by ``lint-exceptions.yaml``, open). Filled by the fixtures and tests of ``tests/engine``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIMED_STEPS = ("preview", "up", "preview-again")


@dataclass
class Report:
    times: dict[str, dict[str, float]] = field(default_factory=dict)
    """stack -> pulumi step -> seconds."""
    resources: dict[str, tuple[int, str]] = field(default_factory=dict)
    """stack -> (resources in the state, how the expected count was made up)."""
    findings: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(tool, stack) -> (findings, of which covered by an exception)."""

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.times:
            out.append("pulumi wall times (render mode, file backend), seconds:")
            out.append(f"  {'stack':<9}" + "".join(f"{step:>15}" for step in TIMED_STEPS))
            for stack, steps in self.times.items():
                cells = "".join(f"{steps[s]:>15.1f}" if s in steps else f"{'-':>15}" for s in TIMED_STEPS)
                out.append(f"  {stack:<9}{cells}")
        for stack, (count, how) in self.resources.items():
            out.append(f"resources in {stack}'s state: {count}; expected from the mocks synthesis: {how}")
        if self.findings:
            out.append("linter findings per stack: total / covered by lint-exceptions.yaml / open")
            for (tool, stack), (total, covered) in sorted(self.findings.items()):
                out.append(f"  {tool:<20} {stack:<8} {total:>4} / {covered:>4} / {total - covered:>4}")
        return out


REPORT = Report()
