"""Opening the metadata store: engine, sessions and schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sealroom.errors import ConfigError, SealroomError, StoreUnavailable

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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the migration history has no head"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Brings the schema to the newest revision; a no-op when it already is."""
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
