"""The `sealroom` command: one Typer app, every error one actionable line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from contracts import ContractError
from jobs import JobError
from jobs.psi import PsiError
from kms import KmsError
from sandbox import SandboxError, effective_policy, report_backends
from sealroom.cli.audit_commands import audit_app
from sealroom.cli.contract_commands import contract_app
from sealroom.cli.dataset_commands import dataset_app
from sealroom.cli.job_commands import job_app
from sealroom.cli.key_commands import keys_app
from sealroom.cli.ledger_commands import ledger_app
from sealroom.cli.party_commands import party_app
from sealroom.cli.psi_commands import psi_app
from sealroom.cli.remote import choose_server, invoked_command, refuse_remote
from sealroom.cli.result_commands import result_app
from sealroom.cli.review_commands import review_app
from sealroom.cli.sandbox_commands import images_app, sandbox_app
from sealroom.cli.serve_command import serve
from sealroom.cli.session import (
    console,
    err_console,
    master_passphrase,
    opened,
    read_secret,
    settings,
)
from sealroom.cli.token_commands import token_app
from sealroom.cli.worker_command import worker
from sealroom.client.errors import ApiError
from sealroom.doctor import Finding, examine
from sealroom.errors import SealroomError
from sealroom.service.setup import initialise
from sealroom.service.store_reconcile import reconcile_store

# Every room's root error: the shell shows their messages, never a traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    SealroomError,
    KmsError,
    ContractError,
    JobError,
    SandboxError,
    PsiError,
    ApiError,  # the server's refusal, its sentence unchanged; or no server answering
)


class CommandLine(TyperGroup):
    """The root group; it keeps the words as typed, so a refusal can name the command."""

    typed: tuple[str, ...] = ()

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        self.typed = tuple(args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=CommandLine,
    name="sealroom",
    help="Computed, approved results from data that never leaves home.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


# Commands about this machine, not about a store: with --server they still run here.
RUN_HERE = frozenset({"doctor", "demo", "images", "sandbox"})


@app.callback()
def connect(
    context: typer.Context,
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            envvar="SEALROOM_SERVER",
            metavar="URL",
            show_default=False,
            help="Act through this Sealroom server's API instead of the local store.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="SEALROOM_TOKEN",
            show_default=False,
            help="Your API token for --server (better: set SEALROOM_TOKEN, kept out of ps).",
        ),
    ] = None,
) -> None:
    """Computed, approved results from data that never leaves home."""
    first = context.invoked_subcommand
    root = context.command
    command = invoked_command(
        first,
        list(root.typed) if isinstance(root, CommandLine) else [],
        group=first in {g.name for g in app.registered_groups},
    )
    choose_server(server, token, command)
    if server and context.invoked_subcommand in RUN_HERE:
        err_console.print(
            f"note: `sealroom {context.invoked_subcommand}` runs on this machine; "
            "--server is not used"
        )


app.add_typer(party_app, name="party")
app.add_typer(dataset_app, name="dataset")
app.add_typer(keys_app, name="keys")
app.add_typer(contract_app, name="contract")
app.add_typer(audit_app, name="audit")
app.add_typer(job_app, name="job")
app.add_typer(review_app, name="review")
app.add_typer(result_app, name="result")
app.add_typer(ledger_app, name="ledger")
app.command()(worker)
app.add_typer(images_app, name="images")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(psi_app, name="psi")
app.add_typer(token_app, name="token")
app.command()(serve)


@app.command()
def init(
    admin: Annotated[str, typer.Option(help="Name of the system administrator.")] = "admin",
    admin_key_file: Annotated[
        Path | None,
        typer.Option(help="Where the administrator's private keys are written, once."),
    ] = None,
) -> None:
    """Create the data directory, the master key and the store (idempotent)."""
    refuse_remote()
    current = settings()
    key_file = admin_key_file or current.home / f"{admin}.key"
    key_passphrase = read_secret("SEALROOM_KEY_PASSPHRASE", "Passphrase for the admin key file")
    report = initialise(
        current,
        master_passphrase,
        admin=admin,
        admin_key_file=key_file,
        admin_key_passphrase=key_passphrase,
    )
    if report.already_initialised:
        console.print(f"{report.home} is already initialised; the store schema is current")
        return
    console.print(f"initialised {report.home}")
    console.print(f"  database      {report.database}")
    console.print(f"  master key    {report.master_key_id} ({report.key_provider})")
    console.print(
        f"  administrator {report.created_admin}; private keys in {report.admin_key_file}"
    )


@app.command()
def doctor(
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Also reconcile the store with its audit log and signatures (needs the store).",
        ),
    ] = False,
) -> None:
    """What isolation, key device and database are in use, and what is missing."""
    findings = examine(settings())
    if store:
        findings.append(store_integrity_finding())
    table = Table(title="sealroom doctor")
    for column in ("part", "state", "detail", "to fix"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.part, "[green]ok[/]" if f.ok else "[red]missing[/]", f.detail, f.fix)
    console.print(table)
    for f in findings:
        if not f.ok and f.fix:
            # One plain line per missing part, so the command can be copied whole.
            console.print(f"to add {f.part}: {f.fix}", soft_wrap=True, markup=False)
    backends = Table(title="Isolation backends")
    for column in ("backend", "state", "detail"):
        backends.add_column(column)
    for report in report_backends():
        detail = "; ".join(f"{k}: {v}" for k, v in report.details.items())
        state = "[green]ok[/]" if report.available else "[red]missing[/]"
        backends.add_row(report.name, state, detail)
    console.print(backends)
    policy = Table(title="Isolation policy every job runs under")
    policy.add_column("setting")
    policy.add_column("value")
    for setting, value in effective_policy().items():
        policy.add_row(setting, value)
    console.print(policy)


def store_integrity_finding() -> Finding:
    with opened() as room:
        divergences = reconcile_store(room)
    if not divergences:
        return Finding("store integrity", True, "the store agrees with the log and signatures")
    return Finding(
        "store integrity",
        False,
        "; ".join(str(d) for d in divergences),
        "sealroom audit verify --store, then investigate who wrote the store",
    )


@app.command()
def demo() -> None:
    """Run the stories on the bundled synthetic data, as the parties would."""
    # The demo serves the API: the web stack loads for it, not for every command.
    from sealroom.demo import run_demo

    run_demo(console)


def main() -> None:
    try:
        app()
    except USER_ERRORS as err:
        err_console.print(f"[bold red]error:[/] {err}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted: nothing was committed by the unfinished step")
        sys.exit(130)
