"""What the job runtime contains, as data, and the content hash that names it.

One root filesystem serves both backends: Docker imports it as the job image and
bubblewrap binds it read-only as the sandbox's ``/``, so the same analysis code
meets the same Python and the same libraries on both (issue 6, point 2). Any
change here changes ``recipe_key()`` and therefore forces a rebuild.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

# Bump when the build steps change in a way the lists below do not show.
BUILD_REVISION = 2

DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("python3", "python3-venv")
FALLBACK_MIRROR = "http://deb.debian.org/debian"

# Exact pins (resolved for CPython 3.11, manylinux 2.28, wheels only).
PYTHON_PACKAGES = (
    "cloudpickle==3.1.2",
    "formulaic==1.2.2",
    "interface-meta==2.0.1",
    "joblib==1.6.0",
    "narwhals==2.29.0",
    "numpy==2.4.6",
    "packaging==26.3",
    "pandas==3.1.1",
    "patsy==1.0.3",
    "pyarrow==26.0.1",
    "python-dateutil==4.0.0",
    "scikit-learn==1.9.1",
    "scipy==1.17.1",
    "statsmodels==0.15.0",
    "threadpoolctl==3.8.0",
    "typing-extensions==4.16.0",
    "tzdata==2026.6",
    "wrapt==2.5.2",
)

# Where things live inside the runtime; the same paths on both backends.
VENV_DIR = "/opt/sealroom/venv"
PYTHON_BIN = f"{VENV_DIR}/bin/python"
SITE_PACKAGES = f"{VENV_DIR}/lib/python3.11/site-packages"
SHELL_BIN = "/bin/sh"
JOB_DIR = "/sealroom"
INPUTS_DIR = "/inputs"
OUTPUTS_DIR = "/outputs"
# The job's own size-capped tmpfs mounts, inside the sandbox (never the host's).
TMP_DIR = "/tmp"  # noqa: S108
SHM_DIR = "/dev/shm"  # noqa: S108

DOCKER_REPOSITORY = "sealroom-job"


def recipe_key() -> str:
    """A short content hash of everything that decides the runtime's content."""
    recipe = {
        "revision": BUILD_REVISION,
        "suite": DEBIAN_SUITE,
        "debian": list(DEBIAN_PACKAGES),
        "python": list(PYTHON_PACKAGES),
        "venv": VENV_DIR,
    }
    canonical = json.dumps(recipe, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


_DEB_LINE = re.compile(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)")


def apt_mirror(source_texts: Iterable[str], suite: str = DEBIAN_SUITE) -> str:
    """The Debian mirror apt already uses for ``suite``, from sources.list texts.

    Both the one-line format and deb822 (``URIs:`` / ``Suites:``) are understood;
    security and third-party archives are skipped, so debootstrap fetches from
    the mirror this machine is known to reach.
    """
    for text in source_texts:
        for line in text.splitlines():
            match = _DEB_LINE.match(line.strip())
            if match and match.group(2) == suite and _is_debian_main(match.group(1)):
                return match.group(1).rstrip("/")
        for stanza in re.split(r"\n\s*\n", text):
            fields = _deb822_fields(stanza)
            suites = fields.get("suites", "").split()
            if "deb" not in fields.get("types", "").split() or suite not in suites:
                continue
            for uri in fields.get("uris", "").split():
                if _is_debian_main(uri):
                    return uri.rstrip("/")
    return FALLBACK_MIRROR


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return fields


def _is_debian_main(uri: str) -> bool:
    return uri.rstrip("/").endswith("/debian") and uri.startswith(("http://", "https://"))
