"""schemathesis against the OpenAPI document: whatever it sends, never a 5xx.

Bounded (a dozen examples per operation, a few hundred requests in all) so that
it runs in every test run, not only in CI; it acts as the administrator, whose
token reaches the deepest into each handler.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from sealroom.api import create_app
from tests.api.conftest import bearer
from tests.fixtures.world import World, serving

pytestmark = pytest.mark.integration
EXAMPLES_PER_OPERATION = 12


def test_no_input_makes_the_server_fail(matrix_world: World) -> None:
    headers = bearer(matrix_world.tokens["admin"])
    failures: list[str] = []
    operations = 0
    statuses: list[int] = []
    with serving(create_app(matrix_world.room)) as url:
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]
            operations += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
                response = case.call(headers=headers, timeout=30)
                statuses.append(response.status_code)
                case.validate_response(response, checks=[not_a_server_error])

            try:
                run()
            except Exception as err:
                failures.append(f"{operation.label}: {str(err)[:600]}")
    assert operations >= 19 and len(statuses) >= 10 * operations
    assert any(200 <= s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses)
    assert not failures, "\n\n".join(failures)
