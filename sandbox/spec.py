"""What a caller asks the sandbox to run: code, interpreter, inputs, mode, limits."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sandbox.errors import InvalidJobSpec
from sandbox.policy import Limits

# Dataset names become file names under /inputs. They may be written in any script
# (客户_2024), so what is checked here is what a file name needs: one path component,
# no dot to start, no control, format or space characters, and room for ".parquet".
MAX_INPUT_NAME_CHARS = 64
MAX_INPUT_NAME_BYTES = 200
_UNSAFE_CATEGORIES = ("C", "Z")  # control, format, private use...; spaces and separators


def input_name_is_safe(name: str) -> bool:
    return (
        0 < len(name) <= MAX_INPUT_NAME_CHARS
        and len(name.encode("utf-8", "surrogatepass")) <= MAX_INPUT_NAME_BYTES
        and name[0] not in ".-"
        and not any(char in '/\\:*?"<>|' for char in name)
        and not any(unicodedata.category(char).startswith(_UNSAFE_CATEGORIES) for char in name)
        and unicodedata.is_normalized("NFC", name)
    )


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
            if not input_name_is_safe(name):
                raise InvalidJobSpec(
                    f"input name {name!r} is not allowed: use letters (any script), digits, "
                    "'-' and '_' (at most 64, in NFC form, not starting with '.' or '-')"
                )
            if not path.is_file():
                raise InvalidJobSpec(
                    f"input {name!r} names {path}, which is not a readable file: "
                    "check the path and try again"
                )


def input_file_name(dataset: str) -> str:
    return f"{dataset}.parquet"
