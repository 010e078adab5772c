"""`pip install "sealroom[client]"` as a partner abroad does it, in a fresh virtualenv.

The wheel is built from this checkout and installed with only the ``client``
extra; the partner's side of PSI then runs in that environment, in its own
process, against a real server on loopback. What the install must not bring
(a database, a web server, a container SDK, data-frame libraries) is checked on
the installed set itself, not on what one import happens to load.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kms import save_party_key_file
from sealroom.api import create_app
from sealroom.client import Client
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.service.audit_log import platform_public_keys
from tests.fixtures.review_over_http import approve_when_waiting
from tests.fixtures.world import World, build_matrix_world, serving

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SERVER_SIDE = {"sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "uvicorn", "docker"}
SERVER_SIDE |= {"pyarrow", "pandas", "ray", "python-pkcs11", "pyseccomp", "faker"}

PARTNER_SCRIPT = """
import json, sys
from pathlib import Path
from sealroom.client import Client, Partner, read_public_key_file

url, token, key_file, ids_file, pinned = sys.argv[1:6]
with Client(url, token, progress=False) as client:
    partner = Partner.from_key_file(client, "globex-uk", Path(key_file), "partner-pass")
    ids = Path(ids_file).read_text().split()
    learned = partner.run_psi(
        "c-12", ids, platform_key=read_public_key_file(Path(pinned)), poll_seconds=0.2
    )
    print(json.dumps({"overlap": learned.intersection_size, "owner": learned.owner_set_size,
                      "me": client.me().party}))
"""


@pytest.fixture(scope="module")
def client_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed: run scripts/bootstrap.sh")
    work = tmp_path_factory.mktemp("client-install")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(work / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (work / "dist").glob("sealroom-*.whl")
    venv = work / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--python", str(python), f"{wheel}[client]"],
        check=True,
        capture_output=True,
    )
    return python


def installed(python: Path) -> set[str]:
    listed = subprocess.run(
        ["uv", "pip", "list", "--python", str(python), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {entry["name"].lower() for entry in json.loads(listed.stdout)}


def test_the_client_extra_installs_nothing_of_the_server(client_env: Path) -> None:
    packages = installed(client_env)
    assert "sealroom" in packages and "openmined-psi" in packages
    assert packages & SERVER_SIDE == set()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, str]]:
    built = build_matrix_world(tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}")
    with serving(create_app(built.room)) as url:
        yield built, url
    built.room.close()


def test_the_partner_runs_its_psi_side_from_the_client_install(
    client_env: Path, world: tuple[World, str], tmp_path: Path
) -> None:
    built, url = world
    key_file = tmp_path / "globex-uk.key"
    save_party_key_file(key_file, built.keys["globex-uk"], "partner-pass")
    pinned = tmp_path / "platform.pub.json"
    pinned.write_text(json.dumps(platform_public_keys(built.room).to_json()))
    import pyarrow.parquet as pq

    ids = partner_ids(pq.read_table(customers_parquet()), 120, 380, seed=5)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    owner = Client(url, built.tokens["owner"], progress=False)
    reviewing = approve_when_waiting([(owner, built.keys["acme-cn"])], "psi")
    token = built.tokens["recipient"]
    result = subprocess.run(
        [client_env, "-c", PARTNER_SCRIPT, url, token, key_file, ids_file, pinned],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    reviewing.join()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"overlap": 120, "owner": 2000, "me": "globex-uk"}
