"""Story 2 with the secretflow engine over HTTP: rendezvous through the API, data over
the direct TLS link, the leakage recorded on the owner's side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from contracts import ActionKind
from jobs.psi import IdentifierKind, normalise_identifier
from jobs.psi.secretflow.party_process import engine_python
from sealroom.api import create_app
from sealroom.client import Client, Partner
from sealroom.data import customers_parquet
from sealroom.datasets.synthetic import partner_ids
from sealroom.service.actors import Actor
from sealroom.service.audit_log import platform_public_keys
from sealroom.service.contracts import take_step
from sealroom.service.jobs import job_status
from tests.api import world as world_module
from tests.api.world import ADMIN, OWNER, World, build_matrix_world, serving

pytestmark = pytest.mark.integration

try:
    engine_python()
except Exception as missing:  # the typed error names the script that builds the env
    pytest.skip(str(missing), allow_module_level=True)

OVERLAP, EXTRA = 150, 350
SECRETFLOW_PSI = "    reveal: [intersection]\n    engine: secretflow\n    protocol: rr22\n"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, str]]:
    story = world_module.story_contract()
    secretflow = story.replace("    reveal: [cardinality, intersection]\n", SECRETFLOW_PSI, 1)
    assert secretflow != story
    monkeypatch.setattr(world_module, "story_contract", lambda: secretflow)
    built = build_matrix_world(
        tmp_path / "home", f"sqlite:///{tmp_path / 'store.db'}", active=False
    )
    room = built.room
    take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=built.keys["acme-cn"])
    take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
    partner = Actor("globex-uk", False, None)
    take_step(room, partner, "c-12", ActionKind.ACCEPT, keys=built.keys["globex-uk"])
    with serving(create_app(room)) as url:
        yield built, url
    room.close()


def test_the_partner_learns_which_of_its_ids_match_over_the_link(
    world: tuple[World, str],
) -> None:
    built, url = world
    partner = Partner(Client(url, built.tokens["recipient"]), "globex-uk", built.keys["globex-uk"])
    table = pq.read_table(customers_parquet())
    ids = partner_ids(table, OVERLAP, EXTRA, seed=11)
    before = set(Path("/tmp").glob("sealroom-secretflow-*"))

    learned = partner.run_psi(
        "c-12",
        ids,
        mode="intersection",
        platform_key=platform_public_keys(built.room),
        poll_seconds=0.2,
    )

    owner_mobiles = {
        normalise_identifier(m, IdentifierKind.MOBILE) for m in table.column("mobile").to_pylist()
    }
    wanted = {normalise_identifier(m, IdentifierKind.MOBILE) for m in ids}
    assert learned.intersection_size == OVERLAP
    assert set(learned.matched_ids or ()) == owner_mobiles & wanted
    job = job_status(built.room, OWNER, learned.job_id)
    assert job.state == "awaiting_review"
    assert job.check_report is not None
    leakage = job.check_report["leakage"]
    assert leakage["engine"] == "secretflow"
    assert leakage["reported_intersection_size"] == OVERLAP
    assert leakage["partner_set_size"] == len(wanted)
    assert leakage["owner_set_size"] == len(owner_mobiles)
    # Neither side left identifiers or keys on disk.
    assert set(Path("/tmp").glob("sealroom-secretflow-*")) == before
