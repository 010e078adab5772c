from __future__ import annotations

import pytest
from sqlalchemy import inspect

from sealroom.errors import StoreUnavailable
from sealroom.store.database import (
    SchemaOutOfDate,
    create_store_engine,
    current_revision,
    ensure_current,
    head_revision,
    migrate,
)

pytestmark = pytest.mark.integration


def test_migrations_build_the_whole_schema_and_are_idempotent(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"parties", "datasets", "dataset_versions", "data_keys"} <= tables
    ensure_current(engine)


def test_an_unmigrated_store_is_refused_with_the_command_that_fixes_it(database_url: str) -> None:
    engine = create_store_engine(database_url)
    with pytest.raises(SchemaOutOfDate, match="run `sealroom init`"):
        ensure_current(engine)


def test_an_unreachable_database_says_so_in_one_line() -> None:
    engine = create_store_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(StoreUnavailable, match="cannot be reached") as caught:
        migrate(engine)
    assert "\n" not in caught.value.message


def test_the_quick_head_lookup_agrees_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    from sealroom.store.database import MIGRATIONS

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()
