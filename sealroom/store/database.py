"""Opening the metadata store: engine, sessions and schema migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sealroom.errors import ConfigError, SealroomError, StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(SealroomError):
    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"the metadata store is at schema revision {current or 'none'} but this Sealroom "
            f"needs {head}: run `sealroom init` to migrate it"
        )


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages and `sealroom doctor`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def create_store_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"SEALROOM_DATABASE_URL {url!r} is not a database URL: "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # Foreign keys are off by default in SQLite; WAL lets readers run during a write.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect():
            pass
    except OperationalError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else "connection failed"
        raise StoreUnavailable(display_url(str(engine.url)), reason) from None


def _alembic_config(engine: Engine) -> Config:
    # Alembic loads only when a migration runs: every other command just compares
    # the stored revision with the newest one (``head_revision``).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


_REVISION = re.compile(r"^(down_revision|revision) = (?:'|\")?([^'\"\n]*)", re.MULTILINE)


def head_revision() -> str:
    """The newest revision: the one no other revision names as its parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    assert len(heads) == 1, f"the migration history must have one head, it has {sorted(heads)}"
    return str(heads.pop())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        value = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if value is None else str(value)


def migrate(engine: Engine) -> None:
    """Brings the schema to the newest revision; a no-op when it already is."""
    from alembic import command

    check_reachable(engine)
    command.upgrade(_alembic_config(engine), "head")


def ensure_current(engine: Engine) -> None:
    check_reachable(engine)
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(current, head)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commits on success, rolls everything back on any error."""
    with factory() as session, session.begin():
        yield session
