"""The example contract and jobs exist once: examples/ links to the packaged copies.

``sealroom demo`` runs the files in ``sealroom/data/`` (the wheel carries them);
the README's commands name ``examples/``. A second copy would drift from the one
the demo runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PACKAGED = ROOT / "sealroom" / "data"


def example_files() -> list[Path]:
    return sorted(path for path in EXAMPLES.rglob("*") if not path.is_dir())


def test_the_readme_examples_are_there() -> None:
    names = {path.relative_to(EXAMPLES).as_posix() for path in example_files()}
    assert {"contracts/customer-insights.yaml", "jobs/spend_by_segment.py"} <= names


@pytest.mark.parametrize("path", example_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_an_example_is_a_link_to_the_packaged_file(path: Path) -> None:
    assert path.is_symlink(), f"{path.relative_to(ROOT)} is a copy: link it to sealroom/data/"
    target = path.resolve(strict=True)
    assert target.is_relative_to(PACKAGED.resolve()), f"{path} links outside sealroom/data/"
