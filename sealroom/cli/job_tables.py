"""How a job shows in the terminal: its fields, its sample drift, its disclosure checks."""

from __future__ import annotations

from rich.table import Table

from jobs import JobState
from sealroom.client.models import JobInfo

STATE_STYLE = {
    JobState.RELEASED.value: "green",
    JobState.COMPLETED.value: "green",
    JobState.AWAITING_REVIEW.value: "yellow",
    JobState.FAILED.value: "red",
    JobState.WITHHELD.value: "red",
    JobState.REJECTED_BY_GATE.value: "red",
}


def job_table(view: JobInfo) -> Table:
    table = Table(show_header=False, title=f"Job {view.job_id}")
    table.add_column("field", style="bold")
    table.add_column("value")
    style = STATE_STYLE.get(view.state, "bold")
    for field, value in (
        ("state", f"[{style}]{view.state}[/]" + (f": {view.reason}" if view.reason else "")),
        ("contract", f"{view.contract_id} v{view.contract_version}"),
        ("kind / mode", f"{view.kind} / {view.mode}"),
        ("submitter", view.submitter),
        ("code", f"{view.code_name} ({view.code_hash[:23]}…)"),
        ("backend", view.backend or "-"),
        ("attempts", str(view.attempts)),
        ("outputs", ", ".join(f"{o.name} ({o.size} B)" for o in view.outputs) or "-"),
    ):
        table.add_row(field, value)
    return table


def drift_lines(drift: dict[str, list[str]]) -> list[str]:
    """Where each debug sample differs in shape from the real data (never in values)."""
    lines = []
    for dataset, findings in drift.items():
        if not findings:
            lines.append(f"sample of {dataset}: same shape as the real data")
        lines.extend(f"sample of {dataset}: {message}" for message in findings)
    return lines


def check_report_table(report: dict[str, object] | None) -> Table:
    table = Table(title="Disclosure checks")
    for column in ("file", "outcome", "passed", "failures"):
        table.add_column(column)
    files = report.get("files", []) if report else []
    assert isinstance(files, list)
    for f in files:
        failures = "\n".join(f"{x['action']}: {x['reason']}" for x in f.get("failures", []))
        table.add_row(f["name"], f["outcome"], ", ".join(f.get("passed", [])), failures or "-")
    return table
