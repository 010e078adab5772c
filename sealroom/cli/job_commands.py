"""The job, review, result, ledger and worker commands."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from contracts import RunMode
from jobs import Decision, JobState, OpenedResult, code_hash, open_result, verify_receipt
from kms import PartyKeyPair, PartyPublicKeys, load_party_key_file
from sealroom.api.convert import job_info, logs_info, review_info
from sealroom.cli.remote import check_acting_party, chosen_server, connected
from sealroom.cli.session import (
    ActingParty,
    acting,
    console,
    note_runs_locally,
    opened,
    read_secret,
)
from sealroom.client import Partner, read_public_key_file
from sealroom.client.models import JobInfo, JobLogs, ReviewInfo
from sealroom.errors import ConfigError
from sealroom.service.audit_log import platform_public_keys, read_public_key
from sealroom.service.job_runner import recover_jobs, run_next_job
from sealroom.service.jobs import (
    JobView,
    cancel_job,
    debug_outputs,
    job_logs,
    job_status,
    list_jobs,
    submit_job,
)
from sealroom.service.ledger import export_report, ledger_rows
from sealroom.service.results import download_result
from sealroom.service.reviews import approve_code, list_reviews, show_review, vote

job_app = typer.Typer(help="Submit and follow analysis jobs.", no_args_is_help=True)
review_app = typer.Typer(help="Review real-run outputs and code.", no_args_is_help=True)
result_app = typer.Typer(help="Download and verify released results.", no_args_is_help=True)
ledger_app = typer.Typer(help="The export ledger and the annual report.", no_args_is_help=True)

STATE_STYLE = {
    JobState.RELEASED.value: "green",
    JobState.COMPLETED.value: "green",
    JobState.AWAITING_REVIEW.value: "yellow",
    JobState.FAILED.value: "red",
    JobState.WITHHELD.value: "red",
    JobState.REJECTED_BY_GATE.value: "red",
}
UNFINISHED = (JobState.SUBMITTED.value, JobState.QUEUED.value, JobState.RUNNING.value)


def as_info(view: JobInfo | JobView) -> JobInfo:
    """The API's form of a job, whether read over HTTP or from the local store."""
    return view if isinstance(view, JobInfo) else job_info(view)


def job_table(job: JobInfo | JobView) -> Table:
    view = as_info(job)
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


def drift_lines(view: JobView) -> list[str]:
    """Where each debug sample differs in shape from the real data (never in values)."""
    lines = []
    for dataset, drift in ((view.run_record or {}).get("sample_drift") or {}).items():
        findings = drift.get("findings", [])
        if not findings:
            lines.append(f"sample of {dataset}: same shape as the real data")
        for f in findings:
            lines.append(f"sample of {dataset}: {f['message']}")
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


@job_app.command("submit")
def submit(
    contract: Annotated[str, typer.Option(help="The contract id, e.g. c-12.")],
    code: Annotated[Path, typer.Option(help="A Python file or a shell script.")],
    mode: Annotated[str, typer.Option(help="debug (masked sample) or real.")] = "debug",
    wait: Annotated[
        bool,
        typer.Option(help="Wait for the result (locally: run it now in this process)."),
    ] = True,
    as_party: ActingParty = None,
) -> None:
    """Submit CODE under CONTRACT; the gate admits or refuses it with a reason."""
    if mode not in ("debug", "real"):
        raise ConfigError(f"--mode {mode!r}: use debug or real")
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            info = client.submit_job(contract, code, mode=mode)
            console.print(f"{info.job_id} admitted by the gate: {info.state}")
            if wait:
                info = client.wait_for_job(info.job_id)
        show_job(info)
        return
    with opened() as room:
        actor = acting(room, as_party)
        view = submit_job(room, actor, contract, code.read_bytes(), code.name, RunMode(mode))
        console.print(f"{view.job_id} admitted by the gate: {view.state.value}")
        if wait:
            with console.status(f"running {view.job_id} in the sandbox…"):
                ran = run_next_job(room, view.job_id)
            view = ran or job_status(room, actor, view.job_id)
    show_job(view)


def show_job(view: JobInfo | JobView) -> None:
    console.print(job_table(view))
    # The sample-drift findings are in the run record, which the API keeps on the server.
    for line in drift_lines(view) if isinstance(view, JobView) else []:
        console.print(line)
    if view.check_report:
        console.print(check_report_table(view.check_report))


@job_app.command("status")
def status(job_id: str, as_party: ActingParty = None) -> None:
    """The job's state, reason, outputs and check report."""
    view: JobInfo | JobView
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            view = client.job(job_id)
    else:
        with opened() as room:
            view = job_status(room, acting(room, as_party), job_id)
    show_job(view)


@job_app.command("wait")
def wait_for(
    job_id: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 900,
    poll: Annotated[float, typer.Option(help="Seconds between looks.")] = 2.0,
    as_party: ActingParty = None,
) -> None:
    """Wait until a worker has run the job, then show it as `job status` does."""
    view: JobInfo | JobView
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            view = client.wait_for_job(job_id, timeout=timeout, poll=poll)
        show_job(view)
        return
    deadline = time.monotonic() + timeout
    with opened() as room, console.status(f"waiting for {job_id}"):
        actor = acting(room, as_party)
        while (view := job_status(room, actor, job_id)).state.value in UNFINISHED:
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"{job_id} is still {view.state.value} after {timeout:g} s: check that a "
                    "worker runs (`sealroom worker`) and look again later"
                )
            time.sleep(poll)
    show_job(view)


@job_app.command("list")
def list_(contract: Annotated[str | None, typer.Option()] = None) -> None:
    """Jobs, oldest first."""
    if (server := chosen_server()) is not None:
        if contract is None:
            raise ConfigError(
                "with --server, name the contract: `sealroom job list --contract C` (the API "
                "lists jobs per contract, for those who follow it)"
            )
        with connected(server) as client:
            infos = client.jobs(contract)
    else:
        with opened() as room:
            infos = [job_info(v) for v in list_jobs(room, contract)]
    table = Table(title="Jobs")
    for column in ("job", "contract", "mode", "submitter", "state", "reason"):
        table.add_column(column)
    for v in infos:
        table.add_row(v.job_id, v.contract_id, v.mode, v.submitter, v.state, v.reason[:60])
    console.print(table)


@job_app.command("logs")
def logs(job_id: str, as_party: ActingParty = None) -> None:
    """What the job printed (kept up to the sandbox's log cap); a real run's, to reviewers."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            found = client.job_logs(job_id)
    else:
        with opened() as room:
            found = logs_info(job_logs(room, acting(room, as_party), job_id))
    print_logs(found)


def print_logs(found: JobLogs) -> None:
    for stream, capture in (("stdout", found.stdout), ("stderr", found.stderr)):
        console.print(f"[bold]{stream}[/]" + (" (truncated)" if capture.truncated else ""))
        console.print(capture.text, markup=False, highlight=False)


@job_app.command("cancel")
def cancel(job_id: str, as_party: ActingParty = None) -> None:
    """Withdraw a job that has not been decided yet."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            info = client.cancel_job(job_id)
    else:
        with opened() as room:
            info = job_info(cancel_job(room, acting(room, as_party), job_id))
    console.print(f"{info.job_id}: {info.state}")


@job_app.command("outputs")
def outputs(
    job_id: str, out: Annotated[Path, typer.Option()], as_party: ActingParty = None
) -> None:
    """A debug run's outputs (from the masked sample), for its submitter."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            files = client.debug_outputs(job_id)
    else:
        with opened() as room:
            files = debug_outputs(room, acting(room, as_party), job_id)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out / Path(name).name  # a name from a server never picks the directory
        target.write_bytes(data)
        console.print(f"wrote {target} ({len(data)} bytes)")


@review_app.command("list")
def review_list(as_party: ActingParty = None) -> None:
    """Jobs waiting for your review."""
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            infos = client.reviews()
    else:
        with opened() as room:
            infos = [job_info(v) for v in list_reviews(room, acting(room, as_party))]
    table = Table(title="Waiting for your review")
    for column in ("job", "contract", "submitter", "outputs"):
        table.add_column(column)
    for v in infos:
        table.add_row(v.job_id, v.contract_id, v.submitter, ", ".join(o.name for o in v.outputs))
    console.print(table)


@review_app.command("show")
def review_show(
    job_id: str,
    out: Annotated[Path | None, typer.Option(help="Also write the outputs here.")] = None,
    as_party: ActingParty = None,
) -> None:
    """Outputs, check report, code and its diff against the last released version."""
    view: ReviewInfo
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            view = client.review(job_id)
    else:
        with opened() as room:
            view = review_info(show_review(room, acting(room, as_party), job_id))
    console.print(job_table(view.job))
    console.print(check_report_table(view.check_report))
    console.print(
        f"quorum: {view.required} of {', '.join(view.reviewers)}; waiting for "
        f"{', '.join(view.waiting_for) or 'nobody'}"
    )
    console.print(view.code_diff or view.code, markup=False, highlight=False)
    for name, encoded in view.outputs.items():
        data = base64.b64decode(encoded)
        console.print(f"[bold]{name}[/]")
        console.print(data.decode("utf-8", "replace")[:4000], markup=False, highlight=False)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / Path(name).name).write_bytes(data)


def _vote(job_id: str, decision: Decision, reason: str, as_party: str | None) -> None:
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            info = client.vote(job_id, decision.value, reason)
    else:
        with opened() as room:
            info = job_info(vote(room, acting(room, as_party), job_id, decision, reason))
    console.print(f"{job_id}: {decision.value} recorded; the job is {info.state}")


@review_app.command("approve")
def review_approve(job_id: str, as_party: ActingParty = None) -> None:
    """Approve the outputs; the vote that completes the quorum releases them."""
    _vote(job_id, Decision.APPROVE, "", as_party)


@review_app.command("reject")
def review_reject(
    job_id: str, reason: Annotated[str, typer.Option()], as_party: ActingParty = None
) -> None:
    """Reject the outputs with a reason: they are withheld for good."""
    _vote(job_id, Decision.REJECT, reason, as_party)


@review_app.command("return")
def review_return(
    job_id: str, reason: Annotated[str, typer.Option()], as_party: ActingParty = None
) -> None:
    """Return the job for changes, with a reason for the scientist."""
    _vote(job_id, Decision.RETURN_FOR_CHANGES, reason, as_party)


@review_app.command("approve-code")
def review_approve_code(
    contract: Annotated[str, typer.Option()],
    code: Annotated[Path, typer.Option()],
    as_party: ActingParty = None,
) -> None:
    """Approve CODE by hash for real runs (contracts that require code review)."""
    data = code.read_bytes()
    digest = code_hash(data)  # of the code the reviewer read, computed on this machine
    if (server := chosen_server()) is not None:
        with connected(server, as_party) as client:
            count = client.approve_code(contract, data).approvals
    else:
        with opened() as room:
            count = approve_code(room, acting(room, as_party), contract, digest)
    console.print(f"approved {code.name} ({digest[:23]}…) for {contract}: {count} approval(s)")


@result_app.command("download")
def result_download(
    job_id: str,
    key_file: Annotated[Path, typer.Option(help="Your private key file.")],
    out: Annotated[Path, typer.Option(help="Directory for the files and the receipt.")],
    platform_key: Annotated[
        Path | None,
        typer.Option(
            help="The platform's public key file you obtained out of band (pinned); "
            "default: the key the server or store holds."
        ),
    ] = None,
    as_party: ActingParty = None,
) -> None:
    """Download the copy sealed to you, open it with your key and verify its receipt."""
    keys = load_party_key_file(
        key_file, read_secret("SEALROOM_KEY_PASSPHRASE", "Key file passphrase")
    )
    pinned = read_public_key_file(platform_key) if platform_key is not None else None
    if (server := chosen_server()) is not None:
        with connected(server) as client:
            who = client.me()
            check_acting_party(who, as_party)
            # The sealed copy is the recipient organisation's when the caller acts for one.
            partner = Partner(client, who.organisation or who.party, keys)
            opened_result = partner.download_result(job_id, out, platform_key=pinned)
    else:
        opened_result = _download_locally(job_id, keys, out, pinned, as_party)
    console.print(
        f"[green]ok[/] {len(opened_result.files)} file(s) in {out}, receipt verified: "
        f"approved by {', '.join(a.reviewer for a in opened_result.receipt.approvals)}"
    )


def _download_locally(
    job_id: str,
    keys: PartyKeyPair,
    out: Path,
    pinned: PartyPublicKeys | None,
    as_party: str | None,
) -> OpenedResult:
    with opened() as room:
        sealed = download_result(room, acting(room, as_party), job_id)
        platform = pinned or platform_public_keys(room)
    opened_result = open_result(
        sealed.sealed,
        job_id=job_id,
        recipient=sealed.recipient,
        keys=keys,
        platform_key=platform.ed25519,
    )
    out.mkdir(parents=True, exist_ok=True)
    for name, data in opened_result.files.items():
        (out / Path(name).name).write_bytes(data)
    (out / "receipt.json").write_bytes(opened_result.receipt_bytes)
    (out / "platform.pub.json").write_text(json.dumps(platform.to_json()), encoding="utf-8")
    return opened_result


@result_app.command("verify")
def result_verify(
    directory: Path,
    platform_key: Annotated[
        Path | None,
        typer.Option(
            help="The platform's public key file (default: platform.pub.json in DIRECTORY)."
        ),
    ] = None,
) -> None:
    """Offline: the receipt's signature, and every file against the hashes it lists."""
    note_runs_locally()
    receipt_bytes = (directory / "receipt.json").read_bytes()
    files = {
        p.name: p.read_bytes()
        for p in directory.iterdir()
        if p.is_file() and p.name not in ("receipt.json", "platform.pub.json")
    }
    key = read_public_key(platform_key or directory / "platform.pub.json")
    receipt = verify_receipt(receipt_bytes, platform_key=key, outputs=files)
    console.print(
        f"[green]ok[/] receipt for {receipt.job_id} under {receipt.contract_id} "
        f"v{receipt.contract_version}: signature and {len(files)} file hash(es) verify"
    )


@ledger_app.command("show")
def ledger_show() -> None:
    """Every export: recipient, contract, purpose, categories, individuals, legal path."""
    with opened() as room:
        rows = ledger_rows(room)
    table = Table(title="Export ledger")
    for column in (
        "released",
        "job",
        "contract",
        "processor",
        "recipient",
        "country",
        "individuals",
        "legal basis",
        "required",
        "why",
    ):
        table.add_column(column)
    for r in rows:
        table.add_row(
            f"{r.released_at:%Y-%m-%d}",
            r.job_id,
            r.contract_id,
            r.processor,
            r.recipient,
            r.recipient_country,
            f"{r.individuals:,}",
            r.legal_basis,
            r.required_path,
            r.path_reason,
        )
    console.print(table)


@ledger_app.command("report")
def ledger_report(year: Annotated[int | None, typer.Option()] = None) -> None:
    """The annual data-export report (数据出境安全报告) figures for YEAR."""
    year = year or datetime.now(UTC).year
    with opened() as room:
        lines = export_report(room, year)
    table = Table(title=f"Data exports in {year}")
    for column in (
        "processor",
        "country",
        "releases",
        "individuals",
        "personal",
        "sensitive",
        "recipients",
        "legal bases",
    ):
        table.add_column(column)
    for line in lines:
        table.add_row(
            line.processor,
            line.recipient_country,
            str(line.releases),
            f"{line.individuals:,}",
            f"{line.personal_individuals:,}",
            f"{line.sensitive_individuals:,}",
            ", ".join(line.recipients),
            ", ".join(str(b) for b in line.legal_bases),
        )
    console.print(table)


def worker(
    once: Annotated[bool, typer.Option(help="Process the queue once and stop.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the queue.")] = 2.0,
) -> None:
    """Run queued jobs; on start, recover jobs a killed worker left running."""
    with opened() as room:
        for item in recover_jobs(room):
            console.print(f"recovered {item.job_id}: {item.event} ({item.reason})")
        while True:
            view = run_next_job(room)
            if view is not None:
                console.print(f"{view.job_id}: {view.state.value} {view.reason}")
                continue
            if once:
                return
            time.sleep(poll)
