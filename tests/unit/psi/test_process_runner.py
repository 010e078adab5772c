"""Worker processes for work that must yield: the ahead shares' pool runs niced."""

from __future__ import annotations

import os

from jobs.psi.runners.sharding import ProcessRunner


def test_workers_started_with_a_nice_value_run_at_that_priority() -> None:
    with ProcessRunner(2, nice=19) as pool:
        assert pool.map(os.nice, [0, 0]) == [19, 19]  # os.nice(0) reads the niceness
    with ProcessRunner(1) as pool:
        assert pool.map(os.nice, [0]) == [os.nice(0)]
