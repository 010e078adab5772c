"""Hostile jobs abusing /outputs and /inputs: the collector trusts nothing it finds."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from tests.fixtures.sandbox import Attack
from tests.hostile.checks import assert_refused

MIB = 1024 * 1024


def test_filling_outputs_is_stopped_and_nothing_is_collected(attack: Attack) -> None:
    code = """
    import time
    for number in range(64):
        try:
            with open(f"/outputs/part{number}.bin", "wb") as handle:
                handle.write(b"\\0" * 512 * 1024)
        except OSError as error:
            blocked("fill outputs", error)
            break
    time.sleep(5)
    """
    record = attack.run(code, output_bytes=MIB, output_files=100, wall_seconds=8)
    assert "output limit 1 MiB" in record.reason + " ".join(record.notes), record
    assert record.outputs == ()
    assert not any(attack.outputs.rglob("*.bin"))


def test_one_huge_output_file_is_cut_by_the_file_size_limit(attack: Attack) -> None:
    code = """
    try:
        with open("/outputs/huge.bin", "wb") as handle:
            for _ in range(8):
                handle.write(b"\\0" * 512 * 1024)
        succeeded("huge file")
    except OSError as error:
        blocked("huge file", error)
    """
    record = attack.run(code, output_bytes=MIB)
    assert_refused(record, "huge file")
    assert "File too large" in record.stdout.text
    assert record.reason == "outputs withheld: output limit 1 MiB exceeded"
    assert record.outputs == ()


def test_a_hundred_thousand_output_files_are_stopped(attack: Attack) -> None:
    code = """
    import time
    for number in range(100_000):
        open(f"/outputs/f{number}", "w").close()
    time.sleep(5)
    """
    record = attack.run(code, output_files=100, wall_seconds=30)
    assert "output file count limit 100" in record.reason, record
    assert record.outputs == ()
    assert record.timings.run_seconds < 20


def test_a_symlink_to_a_host_file_is_not_followed(attack: Attack, tmp_path: Path) -> None:
    host_secret = tmp_path / "host-secret.txt"
    host_secret.write_text(attack.planted_secret)
    code = f"""
    os.symlink("/etc/shadow", "/outputs/shadow")
    os.symlink({str(host_secret)!r}, "/outputs/host-secret")
    os.symlink("/", "/outputs/rootdir")
    open("/outputs/fine.txt", "w").write("ok")
    """
    record = attack.run(code)
    assert [output.name for output in record.outputs] == ["fine.txt"]
    rejected = {item.name: item.reason for item in record.rejected_outputs}
    assert rejected == {
        "host-secret": "symbolic link: not followed",
        "rootdir": "symbolic link: not followed",
        "shadow": "symbolic link: not followed",
    }
    collected = {path.name for path in attack.outputs.rglob("*")}
    assert collected == {"fine.txt"}


def test_hard_links_out_of_outputs_are_impossible_and_in_outputs_refused(
    attack: Attack, tmp_path: Path
) -> None:
    data = tmp_path / "data.parquet"
    data.write_bytes(b"PAR1 rows")
    code = """
    for what, source in [("link input", "/inputs/data.parquet"), ("link runtime", "/etc/passwd")]:
        try:
            os.link(source, f"/outputs/{what.replace(' ', '-')}")
            succeeded(what)
        except OSError as error:
            blocked(what, error)
    open("/outputs/a.txt", "w").write("one file, two names")
    os.link("/outputs/a.txt", "/outputs/b.txt")
    """
    record = attack.run(code, inputs={"data": data})
    assert_refused(record, "link input", "link runtime")
    assert record.outputs == ()
    assert {item.name for item in record.rejected_outputs} == {"a.txt", "b.txt"}
    assert all("hard link" in item.reason for item in record.rejected_outputs)


def test_unsafe_output_names_are_refused(attack: Attack) -> None:
    code = """
    for name in [".hidden", "new\\nline", "-rf", "ok.csv"]:
        open(os.path.join("/outputs", name), "w").write("x")
    """
    record = attack.run(code)
    assert [output.name for output in record.outputs] == ["ok.csv"]
    assert {item.name for item in record.rejected_outputs} == {".hidden", "new\nline", "-rf"}


def test_a_setuid_output_is_collected_without_its_mode_bits(attack: Attack) -> None:
    code = """
    import shutil
    shutil.copy("/bin/sh", "/outputs/shell")
    os.chmod("/outputs/shell", 0o6755)
    """
    record = attack.run(code, output_bytes=4 * MIB)
    assert [output.name for output in record.outputs] == ["shell"]
    mode = (attack.outputs / "shell").stat().st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IXUSR)


def test_a_zip_bomb_output_is_collected_as_opaque_bytes(attack: Attack) -> None:
    code = """
    import zipfile
    with zipfile.ZipFile("/outputs/bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\\0" * 64 * 1024 * 1024)
    """
    record = attack.run(code, output_bytes=MIB, memory_bytes=512 * MIB)
    assert [output.name for output in record.outputs] == ["bomb.zip"]
    collected = attack.outputs / "bomb.zip"
    assert record.outputs[0].size == collected.stat().st_size < MIB
    assert record.outputs[0].sha256 == hashlib.sha256(collected.read_bytes()).hexdigest()
    assert sorted(p.name for p in attack.outputs.iterdir()) == ["bomb.zip"]


def test_inputs_cannot_be_written(attack: Attack, tmp_path: Path) -> None:
    data = tmp_path / "data.parquet"
    data.write_bytes(b"PAR1 original")
    code = """
    for what, path, mode in [
        ("overwrite input", "/inputs/data.parquet", "r+b"),
        ("new input", "/inputs/extra.parquet", "wb"),
    ]:
        try:
            with open(path, mode) as handle:
                handle.write(b"tampered")
            succeeded(what)
        except OSError as error:
            blocked(what, error)
    """
    record = attack.run(code, inputs={"data": data})
    assert_refused(record, "overwrite input", "new input")
    assert data.read_bytes() == b"PAR1 original"


def test_the_runtime_root_cannot_be_written(attack: Attack) -> None:
    code = """
    for what, path in [("etc passwd", "/etc/passwd"), ("python", "/opt/sealroom/venv/bin/python"),
                       ("new file in root", "/planted")]:
        try:
            with open(path, "ab") as handle:
                handle.write(b"")
            succeeded(what)
        except OSError as error:
            blocked(what, error)
    """
    record = attack.run(code)
    assert_refused(record, "etc passwd", "python", "new file in root")


def test_a_deep_tree_of_odd_names_is_capped_while_the_job_runs(attack: Attack) -> None:
    # Names the collector refuses and depths it does not enter still cost bytes
    # and entries: the cap is on what the job writes, wherever it writes it.
    code = """
    written, entries = 0, 0
    path = "/outputs"
    try:
        for level in range(60):
            path = os.path.join(path, f".odd name {level}\\n")
            os.mkdir(path)
            entries += 1
            for number in range(35):
                with open(os.path.join(path, f"-{number}"), "wb") as handle:
                    handle.write(b"\\0" * 12 * 1024)
                written += 12 * 1024
                entries += 1
        succeeded("hidden tree", f"{written} bytes in {entries} entries")
    except OSError as error:
        blocked(f"hidden tree after {written} bytes in {entries} entries", error)
    """
    record = attack.run(code, output_bytes=MIB, output_files=30, wall_seconds=20)
    assert "ATTACK-SUCCEEDED" not in record.stdout.text, record
    assert "No space left on device" in record.stdout.text, record
    assert "output file count limit 30" in record.reason + " ".join(record.notes), record
    assert record.outputs == ()


def test_bytes_hidden_deeper_than_the_collector_looks_are_capped(attack: Attack) -> None:
    code = """
    path = "/outputs"
    for level in range(12):
        path = os.path.join(path, f"d{level}")
        os.mkdir(path)
    written = 0
    try:
        with open(os.path.join(path, "deep.bin"), "wb") as handle:
            for _ in range(50):
                handle.write(b"\\0" * (512 * 1024))
                handle.flush()
                written += 512 * 1024
        succeeded("deep bytes", written)
    except OSError as error:
        blocked(f"deep bytes after {written}", error)
    """
    record = attack.run(code, output_bytes=MIB, output_files=30, wall_seconds=20)
    assert "ATTACK-SUCCEEDED" not in record.stdout.text, record
    assert "output limit 1 MiB" in record.reason + " ".join(record.notes), record
    assert record.outputs == ()
