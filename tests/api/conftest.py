"""A served Sealroom for the API tests: one per module for the read-mostly tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sealroom.api import create_app
from tests.api.world import World, build_matrix_world, serving


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("api-matrix")
    world = build_matrix_world(root / "home", f"sqlite:///{root / 'store.db'}")
    yield world
    world.room.close()


@pytest.fixture(scope="module")
def matrix_url(matrix_world: World) -> Iterator[str]:
    with serving(create_app(matrix_world.room)) as url:
        yield url


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def home_dir(isolated_home: Path) -> Path:
    return isolated_home
