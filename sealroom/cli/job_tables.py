"""How a job shows in the terminal: its fields, its sample drift, its disclosure checks."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from jobs import JobState
from sealroom.cli.terminal_text import safe
from sealroom.client.models import JobInfo

# A real run's details, withheld from those who do not review it (``job_disclosure``).
WITHHELD = Text("withheld until the reviewers release the run", style="dim")

STATE_STYLE = {
    JobState.RELEASED.value: "green",
    JobState.COMPLETED.value: "green",
    JobState.AWAITING_REVIEW.value: "yellow",
    JobState.FAILED.value: "red",
    JobState.WITHHELD.value: "red",
    JobState.REJECTED_BY_GATE.value: "red",
}


def job_table(view: JobInfo) -> Table:
    # Every value is Text: a reason or a name holding ``[...]`` is shown, never read as markup.
    table = Table(show_header=False, title=safe(f"Job {view.job_id}"))
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    state = safe(view.state, style=STATE_STYLE.get(view.state, "bold"))
    if view.reason:
        state.append_text(Text(": ") + safe(view.reason))
    outputs = WITHHELD if view.details_withheld else _output_list(view)
    for field, value in (
        ("state", state),
        ("contract", safe(f"{view.contract_id} v{view.contract_version}")),
        ("kind / mode", safe(f"{view.kind} / {view.mode}")),
        ("submitter", safe(view.submitter)),
        ("code", safe(f"{view.code_name} ({view.code_hash[:23]}…)")),
        ("backend", safe(view.backend or "-")),
        ("attempts", Text(str(view.attempts))),
        ("outputs", outputs),
    ):
        table.add_row(field, value)
    return table


def _output_list(view: JobInfo) -> Text:
    if not view.outputs:
        return Text("-")
    return Text(", ").join(safe(o.name) + Text(f" ({o.size:,} B)") for o in view.outputs)


def drift_lines(drift: dict[str, list[str]]) -> list[str]:
    """Where each debug sample differs in shape from the real data (never in values)."""
    lines = []
    for dataset, findings in drift.items():
        if not findings:
            lines.append(f"sample of {dataset}: same shape as the real data")
        lines.extend(f"sample of {dataset}: {message}" for message in findings)
    return lines


def check_report_table(report: dict[str, object] | None) -> Table:
    if report is not None and "checks" in report:
        return check_summary_table(report)
    table = Table(title="Disclosure checks")
    for column in ("file", "outcome", "passed", "failures"):
        table.add_column(column, overflow="fold")
    files = report.get("files", []) if report else []
    logs = report.get("logs", []) if report else []  # what a real run printed, checked
    assert isinstance(files, list) and isinstance(logs, list)
    for f in [*files, *logs]:
        failures = [safe(f"{x['action']}: {x['reason']}") for x in f.get("failures", [])]
        table.add_row(
            safe(f["name"]),
            safe(f["outcome"]),
            safe(", ".join(f.get("passed", []))),
            Text("\n").join(failures) if failures else Text("-"),
        )
    return table


def check_summary_table(report: dict[str, object]) -> Table:
    """Pass or fail per check: what those who do not review a real run see of it."""
    table = Table(title="Disclosure checks", caption=safe(str(report.get("withheld", ""))))
    for column in ("check", "outcome"):
        table.add_column(column)
    checks = report.get("checks", [])
    assert isinstance(checks, list)
    for c in checks:
        outcome = str(c["outcome"])
        table.add_row(safe(str(c["check"])), safe(outcome, style=_OUTCOME_STYLE.get(outcome, "")))
    return table


_OUTCOME_STYLE = {"passed": "green", "failed": "red"}
