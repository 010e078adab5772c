"""Hostile jobs trying to read what is not theirs: host files, keys, other data, environments."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.sandbox import Attack
from tests.hostile.checks import assert_refused

READ_ATTEMPT = """
for what, path in {targets!r}:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        if {secret!r}.encode() in data or what == "shadow" and b"root:" in data and b"$" in data:
            succeeded(what, repr(data[:80]))
        else:
            print(f"blocked: {{what}}: read only the sandbox's own file, no secret")
    except OSError as error:
        blocked(what, error)
"""


def _read(attack: Attack, targets: list[tuple[str, str]]) -> str:
    return READ_ATTEMPT.format(targets=targets, secret=attack.planted_secret)


def test_reading_etc_shadow_is_refused(attack: Attack) -> None:
    record = attack.run(_read(attack, [("shadow", "/etc/shadow")]))
    assert_refused(record, "shadow")
    assert "Permission denied" in record.stdout.text or "No such file" in record.stdout.text


def test_the_host_home_is_not_visible(attack: Attack) -> None:
    planted = Path.home() / f".sealroom-hostile-{attack.planted_secret[-8:]}"
    planted.write_text(attack.planted_secret)
    try:
        record = attack.run(_read(attack, [("host home file", str(planted))]))
    finally:
        planted.unlink()
    assert_refused(record, "host home file")


def test_the_data_directory_is_not_visible(attack: Attack, isolated_home: Path) -> None:
    blob = isolated_home / "blobs" / "dataset-1.bin"
    blob.parent.mkdir(parents=True)
    blob.write_text(attack.planted_secret)
    record = attack.run(_read(attack, [("data directory", str(blob))]))
    assert_refused(record, "data directory")
    assert "No such file" in record.stdout.text


def test_another_dataset_is_not_visible(attack: Attack, tmp_path: Path) -> None:
    mine = tmp_path / "mine.parquet"
    mine.write_bytes(b"PAR1 mine")
    theirs = tmp_path / "theirs.parquet"
    theirs.write_text(attack.planted_secret)
    code = (
        _read(
            attack,
            [
                ("other dataset by host path", str(theirs)),
                ("other dataset", "/inputs/theirs.parquet"),
            ],
        )
        + "print('inputs:', sorted(os.listdir('/inputs')))\n"
    )
    record = attack.run(code, inputs={"mine": mine})
    assert_refused(record, "other dataset by host path", "other dataset")
    assert "inputs: ['mine.parquet']" in record.stdout.text


def test_the_master_key_file_is_not_visible(attack: Attack, isolated_home: Path) -> None:
    key_file = isolated_home / "master.key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(attack.planted_secret)
    record = attack.run(_read(attack, [("master key", str(key_file))]))
    assert_refused(record, "master key")


def test_proc_1_environ_holds_no_supervisor_secret(attack: Attack) -> None:
    record = attack.run(_read(attack, [("pid 1 environment", "/proc/1/environ")]))
    assert_refused(record, "pid 1 environment")


def test_the_parents_environment_is_not_inherited(attack: Attack) -> None:
    code = f"""
    secret = {attack.planted_secret!r}.encode()
    for what, path in [
        ("own environment", "/proc/self/environ"),
        ("parent environment", f"/proc/{{os.getppid()}}/environ"),
    ]:
        try:
            data = open(path, "rb").read()
            print(f"blocked: {{what}}: no secret in it") if secret not in data else succeeded(what)
        except OSError as error:
            blocked(what, error)
    leaked = [name for name in os.environ if "SECRET" in name or "PASSPHRASE" in name]
    if leaked:
        succeeded("os.environ", leaked)
    else:
        print("blocked: os.environ: only", sorted(os.environ))
    """
    record = attack.run(code)
    assert_refused(record, "own environment", "parent environment", "os.environ")


def test_the_supervisors_work_directory_cannot_be_listed(attack: Attack) -> None:
    code = """
    import glob
    for what, path in [("work root", "/tmp/sealroom-runs"), ("host tmp", "/tmp/pytest-of-root")]:
        try:
            entries = os.listdir(path)
            if entries:
                succeeded(what, entries)
            else:
                print(f"blocked: {what}: sees only its own empty /tmp")
        except OSError as error:
            blocked(what, error)
    """
    record = attack.run(code)
    assert_refused(record, "work root", "host tmp")
