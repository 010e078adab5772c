"""Streaming encryption throughput against a plain file copy, measured in one run.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/encryption.py [--size-mib 1024] [--repeat 3]

It writes a random file of the given size in a temporary directory, then times
``shutil.copyfile`` of it, and ``encrypt_stream`` / ``decrypt_stream`` with
AES-256-GCM and SM4-GCM, each file to file. Each figure is the best of
``--repeat`` runs. Before each timed step the page cache is flushed to disk
(``os.sync()``), so no step pays for the write-back of an earlier one's output;
the source file stays cached for all of them alike.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kms import Algorithm, PassphraseKeyring, create_data_key, decrypt_stream, encrypt_stream

MIB = 1024 * 1024


def _write_random_file(path: Path, size: int) -> None:
    block = os.urandom(MIB)
    with path.open("wb") as handle:
        remaining = size
        while remaining > 0:
            handle.write(block[: min(MIB, remaining)])
            remaining -= MIB
        handle.flush()
        os.fsync(handle.fileno())


def _best_of(repeat: int, run: Callable[[], None], cleanup: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(repeat):
        os.sync()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        cleanup()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--algorithms", default="aes-256-gcm,sm4-gcm")
    args = parser.parse_args()
    size = args.size_mib * MIB

    with tempfile.TemporaryDirectory(prefix="sealroom-bench-") as tmp:
        work = Path(tmp)
        plain, copy, sealed, opened = (work / n for n in ("plain", "copy", "sealed", "opened"))
        print(f"writing a {args.size_mib} MiB random file in {work} ...")
        _write_random_file(plain, size)
        keyring = PassphraseKeyring.create(work / "master.key", "benchmark-passphrase")

        def remove(*paths: Path) -> Callable[[], None]:
            def cleanup() -> None:
                for path in paths:
                    path.unlink(missing_ok=True)

            return cleanup

        def copy_file() -> None:
            shutil.copyfile(plain, copy)

        copy_s = _best_of(args.repeat, copy_file, remove(copy))
        rows: list[tuple[str, float]] = [("copy (shutil.copyfile)", copy_s)]
        for name in args.algorithms.split(","):
            algorithm: Algorithm = "sm4-gcm" if name == "sm4-gcm" else "aes-256-gcm"
            key = create_data_key(keyring, algorithm, b"benchmark")
            best_encrypt = best_decrypt = float("inf")
            for _ in range(args.repeat if algorithm == "aes-256-gcm" else 1):
                os.sync()
                start = time.perf_counter()
                with plain.open("rb") as src, sealed.open("wb") as dst:
                    encrypt_stream(src, dst, key, "benchmark")
                best_encrypt = min(best_encrypt, time.perf_counter() - start)
                os.sync()
                start = time.perf_counter()
                with sealed.open("rb") as src, opened.open("wb") as dst:
                    decrypt_stream(src, dst, key, "benchmark")
                best_decrypt = min(best_decrypt, time.perf_counter() - start)
                remove(sealed, opened)()
            rows.append((f"encrypt {algorithm}", best_encrypt))
            rows.append((f"decrypt {algorithm}", best_decrypt))

    print(f"\n{'operation':<28}{'seconds':>10}{'GB/s':>10}{'x copy':>10}")
    for label, seconds in rows:
        print(f"{label:<28}{seconds:>10.3f}{size / seconds / 1e9:>10.2f}{seconds / copy_s:>10.2f}")
    print(f"\nceilings in memory, one core: {_ceilings()}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def _ceilings() -> str:
    """SHA-256 and AES-GCM over 256 MiB in memory: the floor under any streaming figure."""
    block = os.urandom(MIB)
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    start = time.perf_counter()
    digest = hashlib.sha256()
    for _ in range(256):
        digest.update(block)
    sha_rate = 256 * MIB / (time.perf_counter() - start) / 1e9
    start = time.perf_counter()
    for _ in range(256):
        aead.encrypt(nonce, block, None)
    aes_rate = 256 * MIB / (time.perf_counter() - start) / 1e9
    return f"sha256 {sha_rate:.2f} GB/s, aes-256-gcm {aes_rate:.2f} GB/s"


if __name__ == "__main__":
    main()
