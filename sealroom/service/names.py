"""Names of parties and datasets: safe in paths, URLs, file names and log lines."""

from __future__ import annotations

import re

from sealroom.errors import ConfigError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def validate_name(kind: str, name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ConfigError(
            f"{kind} name {name!r} is not allowed: use 2-63 lower-case letters, digits and "
            "hyphens, starting with a letter or digit (e.g. acme-cn)"
        )
