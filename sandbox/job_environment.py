"""What a job sees, identically on both backends: command, environment, mount points."""

from __future__ import annotations

from sandbox import recipe
from sandbox.spec import Interpreter, Mode
from sandbox.workspace import code_file_name

HOSTNAME = "sealroom-job"


def job_command(interpreter: Interpreter) -> list[str]:
    script = f"{recipe.JOB_DIR}/{code_file_name(interpreter)}"
    if interpreter is Interpreter.PYTHON:
        # -I: ignore PYTHON* variables and the user site; -B: the root is read-only.
        return [recipe.PYTHON_BIN, "-I", "-B", script]
    return [recipe.SHELL_BIN, script]


def job_environment(mode: Mode) -> dict[str, str]:
    """The whole environment: nothing of the supervisor's leaks in (no keys, no paths)."""
    return {
        "PATH": f"{recipe.VENV_DIR}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": recipe.TMP_DIR,
        "TMPDIR": recipe.TMP_DIR,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SEALROOM_MODE": mode.value,
    }
