"""`sealroom images build` and `sealroom sandbox run`: the sandbox for operators.

`sandbox run` runs a script exactly as a job would (same runtime, same isolation,
same limits, same output collection) and prints the run record, so an operator
can check a node, and the hostile suite can attack through the same door.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sandbox import (
    DockerBackend,
    Interpreter,
    JobSpec,
    Limits,
    Mode,
    RunRecord,
    SandboxError,
    build_runtime,
    import_docker_image,
    prune_other_runtimes,
    run_job,
    select_backend,
)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # one line, unbroken

images_app = typer.Typer(help="Build the job image and runtime locally.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Run a script as a job would run.", no_args_is_help=True)


# Callbacks keep each app a command group even with one command, so `run` and
# `build` keep their names whether the app is registered or invoked on its own.
@images_app.callback()
def images_group() -> None:
    """Build the job image and runtime locally."""


@sandbox_app.callback()
def sandbox_group() -> None:
    """Run a script as a job would run."""


_SIZE = re.compile(r"^\s*(\d+)\s*(B|KiB|MiB|GiB)?\s*$")
_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, None: 1}
EXIT_JOB_FAILED = 1
EXIT_REFUSED = 2


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a size: write e.g. 512MiB, 64KiB or 1GiB")
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_inputs(pairs: list[str]) -> dict[str, Path]:
    inputs: dict[str, Path] = {}
    for pair in pairs:
        name, sep, file = pair.partition("=")
        if not sep or not name or not file:
            raise typer.BadParameter(f"--input {pair!r}: write it as NAME=FILE")
        inputs[name] = Path(file)
    return inputs


@images_app.command("build")
def build(
    docker: Annotated[
        bool, typer.Option(help="Also import the image into the Docker Engine.")
    ] = True,
    prune: Annotated[
        bool, typer.Option(help="Delete runtimes and images of older recipes afterwards.")
    ] = False,
) -> None:
    """Build the job runtime and image once per machine (idempotent, fast when built)."""
    try:
        runtime = build_runtime(log=console.print)
        client = DockerBackend().client if docker else None
        if client is not None:
            runtime = import_docker_image(runtime, client, log=console.print)
        if prune:
            prune_other_runtimes(runtime, client, log=console.print)
    except SandboxError as error:
        err_console.print(f"sealroom: {error.message}")
        raise typer.Exit(EXIT_REFUSED) from error


@sandbox_app.command("run")
def run(
    code: Annotated[Path, typer.Argument(help="The script to run (.py or .sh).")],
    input_pairs: Annotated[
        list[str] | None,
        typer.Option("--input", help="NAME=FILE: FILE appears at /inputs/NAME.parquet."),
    ] = None,
    backend: Annotated[str, typer.Option(help="bwrap, docker or auto.")] = "auto",
    out: Annotated[Path, typer.Option(help="Where collected outputs are written.")] = Path(
        "sandbox-outputs"
    ),
    mode: Annotated[Mode, typer.Option(help="SEALROOM_MODE seen by the job.")] = Mode.DEBUG,
    interpreter: Annotated[
        Interpreter | None, typer.Option(help="python or sh (default: from the suffix).")
    ] = None,
    memory: Annotated[str, typer.Option(help="Memory limit, e.g. 512MiB.")] = "1GiB",
    pids: Annotated[int, typer.Option(help="Process limit.")] = 64,
    cpu_seconds: Annotated[int, typer.Option(help="CPU time limit.")] = 600,
    wall_seconds: Annotated[float, typer.Option(help="Wall-clock limit.")] = 900.0,
    output_bytes: Annotated[str, typer.Option(help="Total output size limit.")] = "64MiB",
    output_files: Annotated[int, typer.Option(help="Output file count limit.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Run CODE isolated, exactly as a job, and print the run record."""
    limits = Limits(
        memory_bytes=parse_size(memory),
        pids=pids,
        cpu_seconds=cpu_seconds,
        wall_seconds=wall_seconds,
        output_bytes=parse_size(output_bytes),
        output_files=output_files,
    )
    chosen = interpreter or (Interpreter.SHELL if code.suffix == ".sh" else Interpreter.PYTHON)
    spec = JobSpec(
        code=code,
        interpreter=chosen,
        inputs=parse_inputs(input_pairs or []),
        mode=mode,
        limits=limits,
    )
    try:
        record = run_job(spec, select_backend(backend), out)
    except SandboxError as error:
        err_console.print(f"sealroom: {error.message}")
        raise typer.Exit(EXIT_REFUSED) from error
    if as_json:
        console.print_json(json.dumps(record.as_dict()))
    else:
        show_record(record)
    if not record.succeeded:
        raise typer.Exit(EXIT_JOB_FAILED)


def show_record(record: RunRecord) -> None:
    summary = Table(title=f"run {record.run_id}", show_header=False)
    summary.add_row("backend", record.backend)
    summary.add_row("mode", record.mode)
    summary.add_row("reason", record.reason)
    summary.add_row("exit code", str(record.exit_code))
    summary.add_row("signal", record.signal or "-")
    summary.add_row("wall time", f"{record.timings.total_seconds:.3f} s")
    for note in record.notes:
        summary.add_row("note", note)
    console.print(summary)
    if record.outputs or record.rejected_outputs:
        files = Table(title="outputs")
        files.add_column("name")
        files.add_column("bytes", justify="right")
        files.add_column("sha256 / reason")
        for output in record.outputs:
            files.add_row(output.name, str(output.size), output.sha256)
        for rejected in record.rejected_outputs:
            files.add_row(rejected.name, "-", f"not collected: {rejected.reason}")
        console.print(files)
    for label, stream in (("stdout", record.stdout), ("stderr", record.stderr)):
        if stream.total_bytes:
            cut = f" (first {stream.kept_bytes} of {stream.total_bytes} bytes)"
            console.rule(f"{label}{cut if stream.truncated else ''}")
            console.print(stream.text, markup=False, end="")


def main() -> None:
    """Standalone entry: `python -m sealroom.cli.sandbox_commands images|sandbox ...`."""
    standalone = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    standalone.add_typer(images_app, name="images")
    standalone.add_typer(sandbox_app, name="sandbox")
    standalone()


if __name__ == "__main__":
    main()
