"""Names of parties and datasets: safe in paths, URLs, file names and log lines."""

from __future__ import annotations

import hashlib
import re

from contracts import dataset_name_problem
from sealroom.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def validate_name(kind: str, name: str) -> None:
    """Parties keep the narrow ASCII form; datasets may be named in any script."""
    if kind == "dataset":
        problem = dataset_name_problem(name)
        if problem:
            raise ConfigError(
                f"dataset name {name!r} is not allowed: it {problem}. Use up to 63 lower-case "
                "letters (any script), digits, '_' and '-', starting with a letter or digit "
                "(e.g. customers_2024 or 客户_2024)"
            )
        return
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"{kind} name {name!r} is not allowed: use 2-63 lower-case letters, digits and "
            "hyphens, starting with a letter or digit (e.g. acme-cn)"
        )


def file_stem_for(name: str) -> str:
    """An ASCII stem for files named after ``name`` in the store's own directories.

    ASCII names stay readable; others are keyed by a hash, so no script, normalisation
    or file-system encoding question ever reaches the blob directory.
    """
    if name.isascii():
        return name
    return "u-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
