"""Which runner the owner's PSI work gets, from the settings; an absent cluster is named."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jobs.psi import InlineRunner, ProcessRunner
from jobs.psi.runners.ray_runner import RayClusterUnreachable, RayRunner
from sealroom.api.loopback import free_loopback_port
from sealroom.config import Settings, load_settings
from sealroom.errors import ConfigError
from sealroom.service.psi_runners import make_psi_runner


def settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings(tmp_path, env={f"SEALROOM_{k.upper()}": v for k, v in env.items()})


def test_by_default_a_pool_of_one_process_per_core_and_no_cluster(tmp_path: Path) -> None:
    chosen = settings(tmp_path)
    assert chosen.psi_workers == (os.cpu_count() or 1)
    assert chosen.ray_address is None


def test_one_worker_runs_inline(tmp_path: Path) -> None:
    assert isinstance(make_psi_runner(settings(tmp_path, psi_workers="1")), InlineRunner)


def test_several_workers_get_a_local_process_pool_of_that_size(tmp_path: Path) -> None:
    runner = make_psi_runner(settings(tmp_path, psi_workers="3"))
    assert isinstance(runner, ProcessRunner)
    with runner:
        assert runner.workers == 3
        assert runner.map(sum, [[1, 2], [3]]) == [3, 3]


def test_a_ray_address_wins_over_local_workers(tmp_path: Path) -> None:
    # Nothing listens there: the choice is proven by Ray's own error, not a pool.
    address = f"127.0.0.1:{free_loopback_port()}"
    with pytest.raises(RayClusterUnreachable):
        make_psi_runner(settings(tmp_path, psi_workers="2", ray_address=address))


def test_an_unreachable_cluster_fails_fast_and_says_what_to_do() -> None:
    address = f"127.0.0.1:{free_loopback_port()}"
    start = time.monotonic()
    with pytest.raises(RayClusterUnreachable) as caught:
        RayRunner(address)
    assert time.monotonic() - start < 5
    assert caught.value.address == address
    assert "ray start --head" in str(caught.value)
    assert "unset SEALROOM_RAY_ADDRESS" in str(caught.value)


def test_an_address_without_a_port_is_refused_as_unreachable() -> None:
    with pytest.raises(RayClusterUnreachable, match="not host:port"):
        RayRunner("ray-head.internal")


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_worker_count_that_is_not_positive_is_a_config_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="psi_workers"):
        settings(tmp_path, psi_workers=value)


def test_shares_are_made_ahead_unless_the_setting_says_no(tmp_path: Path) -> None:
    assert settings(tmp_path).psi_ahead is True
    assert settings(tmp_path, psi_ahead="false").psi_ahead is False
    assert settings(tmp_path, psi_ahead="1").psi_ahead is True
    with pytest.raises(ConfigError, match="psi_ahead is 'sometimes': give true or false"):
        settings(tmp_path, psi_ahead="sometimes")
