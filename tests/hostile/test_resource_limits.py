"""Hostile jobs trying to exhaust the machine: each is stopped by a limit named in the record."""

from __future__ import annotations

import os
import time

from tests.fixtures.sandbox import Attack, processes_of_runs_under
from tests.hostile.checks import assert_refused

MIB = 1024 * 1024


def test_a_fork_bomb_is_contained_by_the_process_limit(attack: Attack) -> None:
    code = """
    import time
    children = 0
    while True:
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
        except OSError as error:
            blocked(f"fork bomb after {children} children", error)
            break
    time.sleep(30)
    """
    record = attack.run(code, pids=16, wall_seconds=3)
    assert "blocked: fork bomb after" in record.stdout.text
    assert "Resource temporarily unavailable" in record.stdout.text
    assert record.reason == "killed: wall clock 3 s"
    assert processes_of_runs_under(attack.work_root) == ()


def test_a_memory_bomb_is_stopped_at_the_memory_limit(attack: Attack) -> None:
    code = """
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))
    """
    record = attack.run(code, memory_bytes=128 * MIB)
    assert "memory limit 128 MiB" in record.reason, record
    assert record.exit_code != 0


def test_an_infinite_loop_is_stopped_at_the_cpu_time_limit(attack: Attack) -> None:
    record = attack.run("while True:\n    pass\n", cpu_seconds=1, wall_seconds=10)
    assert record.reason == "killed: CPU time limit 1 s", record
    assert record.signal in ("SIGXCPU", "SIGKILL")


def test_sleeping_past_the_wall_clock_is_killed(attack: Attack) -> None:
    record = attack.run(
        "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n", wall_seconds=2
    )
    assert "sleeping" in record.stdout.text
    assert record.reason == "killed: wall clock 2 s"
    assert record.timings.run_seconds < 5


def test_flooding_stdout_and_stderr_keeps_only_the_head(attack: Attack) -> None:
    code = """
    chunk = "x" * 65536
    for _ in range(400):
        sys.stdout.write(chunk)
        sys.stderr.write(chunk)
    """
    record = attack.run(code, log_bytes=16 * 1024)
    assert record.stdout.truncated and record.stderr.truncated
    assert record.stdout.kept_bytes <= 16 * 1024
    assert len(record.stdout.text) <= 16 * 1024
    assert any(note.startswith("stdout truncated") for note in record.notes), record.notes


def test_filling_tmp_stops_at_its_size_cap(attack: Attack) -> None:
    code = """
    written = 0
    try:
        # many files, each under the file-size rlimit: the tmpfs cap must stop them
        while written < 256 * 1024 * 1024:
            with open(f"/tmp/fill{written}", "wb") as handle:
                handle.write(b"\\0" * 512 * 1024)
            written += 512 * 1024
        succeeded("fill tmp", written)
    except OSError as error:
        blocked("fill tmp", error)
    """
    record = attack.run(code, tmp_bytes=8 * MIB)
    assert_refused(record, "fill tmp")
    assert "No space left on device" in record.stdout.text


def test_dev_shm_is_size_capped(attack: Attack) -> None:
    code = """
    written = 0
    try:
        # many files, each under the file-size rlimit: the tmpfs cap must stop them
        while written < 256 * 1024 * 1024:
            with open(f"/dev/shm/hoard{written}", "wb") as handle:
                handle.write(b"\\1" * 512 * 1024)
            written += 512 * 1024
        succeeded("fill shm", written)
    except OSError as error:
        blocked("fill shm", error)
    """
    record = attack.run(code, shm_bytes=8 * MIB)
    assert_refused(record, "fill shm")
    assert "No space left on device" in record.stdout.text


def test_a_daemon_left_behind_dies_with_the_job(attack: Attack) -> None:
    code = """
    import time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        os._exit(0)
    print("daemon started; main exits", flush=True)
    """
    record = attack.run(code)
    assert "daemon started" in record.stdout.text
    assert record.reason == "exited: status 0"
    # the attack fixture also checks this after the test, for every attack
    assert processes_of_runs_under(attack.work_root) == ()


def test_the_supervisor_cannot_be_killed_from_the_job(attack: Attack) -> None:
    code = f"""
    import signal
    try:
        os.kill({os.getpid()}, signal.SIGKILL)
        succeeded("kill host supervisor")
    except OSError as error:
        blocked("kill host supervisor", error)
    # every process this job may signal: only its own, inside its namespace
    try:
        os.kill(-1, signal.SIGKILL)
        print("blocked: kill everything: reached only the job's own namespace", flush=True)
    except OSError as error:
        blocked("kill everything", error)
    """
    record = attack.run(code)
    assert_refused(record, "kill host supervisor", "kill everything")
    assert "No such process" in record.stdout.text
    assert record.reason == "exited: status 0"


def test_a_fork_bomb_does_not_starve_a_job_running_beside_it(attack: Attack) -> None:
    import threading

    bomb = """
    import time
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.05)
    """
    bomb_records = []

    def run_bomb() -> None:
        bomb_records.append(attack.run(bomb, pids=16, wall_seconds=4))

    bombing = threading.Thread(target=run_bomb)
    bombing.start()
    time.sleep(1.0)  # the bomb has used its whole process budget by now
    neighbour = """
    children = []
    for _ in range(8):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    print("blocked: starving the neighbour: it forked 8 children")
    """
    record = attack.run(neighbour, pids=16)
    bombing.join()
    assert_refused(record, "starving the neighbour")
    assert bomb_records[0].reason == "killed: wall clock 4 s"
