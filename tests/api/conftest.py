"""A served Sealroom for the API tests: one per module for the read-mostly tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sealroom.api import ApiLimits, Rate, create_app
from tests.fixtures.world import World, build_matrix_world, serving


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("api-matrix")
    world = build_matrix_world(root / "home", f"sqlite:///{root / 'store.db'}")
    yield world
    world.room.close()


@pytest.fixture(scope="module")
def proposed_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The same parties, with the contract only proposed (nobody signed yet)."""
    root = tmp_path_factory.mktemp("api-proposed")
    world = build_matrix_world(root / "home", f"sqlite:///{root / 'store.db'}", active=False)
    yield world
    world.room.close()


@pytest.fixture(scope="module")
def matrix_url(matrix_world: World) -> Iterator[str]:
    # Every refusal of the matrix must reach the audit log: no per-client throttle here.
    limits = ApiLimits(denial_log=Rate(burst=100_000, per_minute=100_000))
    with serving(create_app(matrix_world.room, limits)) as url:
        yield url


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
