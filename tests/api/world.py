"""A Sealroom with the story's parties, served by a real uvicorn on loopback.

The parties keep their own key pairs; each role of the authorisation matrix
holds its own API token. Nothing here reaches around the server once it runs:
tests talk to it over HTTP only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import update

from contracts import ActionKind, JobKind, PsiRevealMode, RunMode
from kms import PartyKeyPair, generate_party_keys, load_party_key_file
from sealroom.api.loopback import serve_on_loopback
from sealroom.config import load_settings
from sealroom.data import customers_parquet
from sealroom.service.actors import Actor
from sealroom.service.context import Sealroom
from sealroom.service.contracts import propose_contract, take_step
from sealroom.service.datasets import register_dataset
from sealroom.service.jobs import cancel_job, submit_job
from sealroom.service.parties import IssueKeys, PartyKind, RegisterKeys, add_party
from sealroom.service.psi import open_psi
from sealroom.service.setup import initialise
from sealroom.service.tokens import issue_token, revoke_token
from sealroom.store.database import transaction
from sealroom.store.token_records import ApiTokenRecord

PASSPHRASE = "test-passphrase"
ADMIN = Actor("admin", True, "platform")
OWNER = Actor("acme-cn", False, None)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contracts" / "customer-insights.yaml"

# The contract of the story, with one party that only reviews (the example's
# reviewers are also its owner and platform).
REVIEWER_PARTY = """  - name: rita
    display_name: Rita Wong (independent reviewer)
    roles: [reviewer]
"""


def example_contract() -> str:
    return EXAMPLE.read_text("utf-8")


def story_contract() -> str:
    text = example_contract()
    anchor = "\nvalidity:"
    return text.replace(anchor, "\n" + REVIEWER_PARTY.rstrip("\n") + "\n" + anchor, 1)


# role -> (party, kind, organisation, token scopes)
MATRIX_PARTIES: dict[str, tuple[str, PartyKind, str | None, tuple[str, ...]]] = {
    "owner": ("acme-cn", "organisation", None, ("read", "write")),
    "platform": ("pat", "person", "platform", ("read", "write", "audit")),
    "scientist": ("alice", "person", None, ("read", "write")),
    "recipient": ("globex-uk", "organisation", None, ("read", "write")),
    "reviewer": ("rita", "person", None, ("read", "write")),
    "auditor": ("audra", "person", None, ("audit",)),
    "outsider": ("initech", "organisation", None, ("read", "write")),
}


@dataclass
class World:
    home: Path
    room: Sealroom
    keys: dict[str, PartyKeyPair] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)


def open_room(home: Path, database_url: str) -> Sealroom:
    settings = load_settings(
        home, env={"SEALROOM_HOME": str(home), "SEALROOM_DATABASE_URL": database_url}
    )
    initialise(
        settings,
        lambda: PASSPHRASE,
        admin="admin",
        admin_key_file=home / "admin.key",
        admin_key_passphrase=PASSPHRASE,
    )
    room = Sealroom.open(settings, lambda: PASSPHRASE)
    room.keyring()  # opened once, before request threads share the room
    return room


def admin_token(room: Sealroom) -> str:
    return issue_token(
        room, ADMIN, party="admin", scopes=("admin", "read", "write", "audit"), label="tests"
    ).token


SCIENTIST = Actor("alice", False, None)
DEBUG_CODE = b"print('hello from the masked sample')\n"


def build_matrix_world(home: Path, database_url: str, *, active: bool = True) -> World:
    """Every role of the matrix, the dataset registered and the contract proposed.

    With ``active``, the contract is approved and accepted and the scientist has
    one queued debug job and one it cancelled; the partner has opened a PSI run.
    """
    room = open_room(home, database_url)
    world = World(home, room)
    for _, (name, kind, org, _) in MATRIX_PARTIES.items():
        if name == "acme-cn":
            add_party(
                room, ADMIN, name=name, kind=kind, keys=IssueKeys(home / "acme.key", PASSPHRASE)
            )
            world.keys[name] = load_party_key_file(home / "acme.key", PASSPHRASE)
        else:
            keys = generate_party_keys()
            add_party(
                room, ADMIN, name=name, kind=kind, organisation=org, keys=RegisterKeys(keys.public)
            )
            world.keys[name] = keys
    register_dataset(room, OWNER, customers_parquet(), owner="acme-cn", name="customers")
    propose_contract(room, OWNER, story_contract(), "story.yaml")
    if active:
        take_step(room, OWNER, "c-12", ActionKind.APPROVE, keys=world.keys["acme-cn"])
        take_step(room, ADMIN, "c-12", ActionKind.APPROVE, keys=None)
        partner = Actor("globex-uk", False, None)
        take_step(room, partner, "c-12", ActionKind.ACCEPT, keys=world.keys["globex-uk"])
        for name in ("queued", "cancelled"):
            job = submit_job(room, SCIENTIST, "c-12", DEBUG_CODE, "probe.py", RunMode.DEBUG)
            world.jobs[name] = job.job_id
        cancel_job(room, SCIENTIST, world.jobs["cancelled"])
        psi = open_psi(
            room, partner, "c-12", JobKind.PSI, partner_set_size=500, mode=PsiRevealMode.CARDINALITY
        )
        world.jobs["psi"] = psi.job_id
    for role, (name, _, _, scopes) in MATRIX_PARTIES.items():
        world.tokens[role] = issue_token(room, ADMIN, party=name, scopes=scopes).token
    world.tokens["admin"] = admin_token(room)
    expired = issue_token(room, ADMIN, party="acme-cn")
    with transaction(room.sessions) as session:
        session.execute(
            update(ApiTokenRecord)
            .where(ApiTokenRecord.token_id == expired.view.token_id)
            .values(expires_at=room.clock() - timedelta(minutes=1))
        )
    world.tokens["expired token"] = expired.token
    revoked = issue_token(room, ADMIN, party="acme-cn")
    revoke_token(room, ADMIN, revoked.view.token_id)
    world.tokens["revoked token"] = revoked.token
    return world


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Runs ``app`` under a real uvicorn server on a free loopback port."""
    with serve_on_loopback(app) as url:
        yield url
