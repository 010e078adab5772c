"""Sandbox overhead benchmark (issue 6): every figure against its baseline, in one run.

1. Trivial job (`pass`): start to exit of ``run_job`` on each backend (workspace,
   seccomp program, supervision, output collection, cleanup included) against a
   plain subprocess running the same script unsandboxed with the same
   interpreter build (Debian's python3.11) and the runtime's own site-packages.
   Goal: bubblewrap adds <= 15 ms.
2. Docker: the same trivial job through ``run_job`` against a bare hardened
   ``docker run`` of the same image and command, measured here too.
   Goal: <= 1.3x.
3. A ~10 s pandas job (fixed work, not a timed loop) on each backend against the
   same script unsandboxed. Goal: <= 3 % on both.

Medians of ``--repeat`` rounds (trivial) and ``--heavy-repeat`` rounds (pandas);
within a round the variants take turns, so load from other work on a shared
machine falls on all of them alike.
Run as root on a machine with the runtime built (scripts/build-images.sh):

    .venv/bin/python benchmarks/isolation.py [--repeat 15] [--heavy-repeat 2] [--groupbys N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# This file is named like the package it measures: run as a script, its own
# directory would shadow the `sandbox` package, so that directory is dropped.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).parent]

from sandbox import JobSpec, Limits, find_runtime, run_job, select_backend  # noqa: E402

TRIVIAL = "pass\n"
PANDAS = """
import numpy as np, pandas as pd
rng = np.random.default_rng(7)
frame = pd.DataFrame({{"key": rng.integers(0, 1000, 1_000_000), "value": rng.random(1_000_000)}})
total = 0.0
for _ in range({groupbys}):
    total += frame.groupby("key")["value"].agg(["sum", "mean", "std"]).to_numpy().sum()
print(round(total, 3))
"""
BARE_DOCKER = [
    "docker", "run", "--rm", "--pull=never", "--read-only", "--user", "64123:64123",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--network", "none",
    "--pids-limit", "64", "--memory", "1g",
]  # fmt: skip


def interleaved_medians(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds per action, the actions taking turns so that load from other
    work on the machine falls on all of them alike; one warm-up round first."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for round_number in range(repeat + 1):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            if round_number:
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--heavy-repeat", type=int, default=2)
    parser.add_argument("--groupbys", type=int, default=105)
    arguments = parser.parse_args()

    runtime = find_runtime()
    work = Path(tempfile.mkdtemp(prefix="sealroom-bench-"))
    trivial = work / "trivial.py"
    trivial.write_text(TRIVIAL)
    heavy = work / "pandas_job.py"
    heavy.write_text(PANDAS.format(groupbys=arguments.groupbys))
    limits = Limits(memory_bytes=4 * 1024**3, wall_seconds=600, cpu_seconds=1200)
    backends = {name: select_backend(name) for name in ("bwrap", "docker")}

    # Unsandboxed baseline: Debian's own python3.11 (the build inside the runtime)
    # with the runtime's very site-packages, so only the isolation differs.
    site_packages = runtime.rootfs / "opt/sealroom/venv/lib/python3.11/site-packages"
    plain_env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site_packages), "LANG": "C.UTF-8"}

    def plain(script: Path) -> Callable[[], object]:
        command = ["/usr/bin/python3", "-s", "-B", str(script)]
        return lambda: subprocess.run(command, check=True, capture_output=True, env=plain_env)

    def sandboxed(name: str, script: Path) -> Callable[[], object]:
        spec = JobSpec(code=script, limits=limits)

        def once() -> object:
            record = run_job(spec, backends[name], work / "out" / name)
            if record.exit_code != 0:
                raise SystemExit(f"{name}: {record.reason}: {record.stderr.text}")
            return record

        return once

    bare_docker = [*BARE_DOCKER, str(runtime.docker_image_id), "/opt/sealroom/venv/bin/python",
                   "-I", "-B", "-c", "pass"]  # fmt: skip

    print(f"runtime {runtime.key}; medians of {arguments.repeat} interleaved rounds")
    # Two phases: the engine keeps working (container teardown) after each Docker
    # run, which would land on whatever runs next; so bubblewrap is compared
    # with the plain subprocess first, and Docker with bare docker after.
    trivial_times = interleaved_medians(
        {"plain": plain(trivial), "bwrap": sandboxed("bwrap", trivial)}, arguments.repeat
    )
    trivial_times |= interleaved_medians(
        {
            "docker": sandboxed("docker", trivial),
            "bare docker": lambda: subprocess.run(bare_docker, check=True, capture_output=True),
        },
        arguments.repeat,
    )
    added = (trivial_times["bwrap"] - trivial_times["plain"]) * 1000
    ratio = trivial_times["docker"] / trivial_times["bare docker"]
    print(f"trivial  plain subprocess      {trivial_times['plain'] * 1000:8.1f} ms")
    print(f"trivial  bwrap run_job         {trivial_times['bwrap'] * 1000:8.1f} ms  "
          f"(+{added:.1f} ms; goal <= +15 ms: {'met' if added <= 15 else 'MISSED'})")  # fmt: skip
    print(f"trivial  bare hardened docker  {trivial_times['bare docker'] * 1000:8.1f} ms")
    print(f"trivial  docker run_job        {trivial_times['docker'] * 1000:8.1f} ms  "
          f"({ratio:.2f}x bare; goal <= 1.30x: {'met' if ratio <= 1.3 else 'MISSED'})")  # fmt: skip

    for name in ("bwrap", "docker"):
        # one phase per backend, each with its own unsandboxed turns
        phase = interleaved_medians(
            {"plain": plain(heavy), name: sandboxed(name, heavy)}, arguments.heavy_repeat
        )
        overhead = (phase[name] / phase["plain"] - 1) * 100
        verdict = "met" if overhead <= 3 else "MISSED"
        print(f"pandas   unsandboxed           {phase['plain']:8.2f} s")
        print(f"pandas   {name:<6} run_job        {phase[name]:8.2f} s  "
              f"({overhead:+.1f} %; goal <= 3 %: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
