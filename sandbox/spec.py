"""What a caller asks the sandbox to run: code, interpreter, inputs, mode, limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sandbox.errors import InvalidJobSpec
from sandbox.policy import Limits

# Dataset names become file names under /inputs: keep them boring on purpose.
DATASET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class Interpreter(StrEnum):
    PYTHON = "python"
    SHELL = "sh"


class Mode(StrEnum):
    DEBUG = "debug"  # masked sample, outputs come straight back
    REAL = "real"  # full data, outputs go to disclosure checks and review


@dataclass(frozen=True)
class JobSpec:
    """One job: ``code`` runs with ``inputs`` at ``/inputs/<name>.parquet``."""

    code: Path
    interpreter: Interpreter = Interpreter.PYTHON
    inputs: Mapping[str, Path] = field(default_factory=dict)
    mode: Mode = Mode.DEBUG
    limits: Limits = field(default_factory=Limits)

    def validate(self) -> None:
        """Raise ``InvalidJobSpec`` naming the first thing wrong with the request."""
        if not self.code.is_file():
            raise InvalidJobSpec(
                f"the job code {self.code} is not a readable file: check the path and try again"
            )
        for name, path in self.inputs.items():
            if not DATASET_NAME.match(name):
                raise InvalidJobSpec(
                    f"input name {name!r} is not allowed: use letters, digits, '-' and '_' "
                    "(at most 64, starting with a letter or digit)"
                )
            if not path.is_file():
                raise InvalidJobSpec(
                    f"input {name!r} names {path}, which is not a readable file: "
                    "check the path and try again"
                )


def input_file_name(dataset: str) -> str:
    return f"{dataset}.parquet"
