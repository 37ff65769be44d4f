"""The OpenAPI contract, fuzzed by schemathesis against the real app: no server errors, and every response
(status code, content type, body) is what the schema documents.

Not checked: schemathesis' "positive data acceptance" — schema-valid requests that are semantically wrong
(a filter on a field this catalog lacks, a filter without ':') get a documented 400, which is the point.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from daogou.serve.app import create_app  # noqa: E402
from daogou.shop import Shop  # noqa: E402


@pytest.mark.slow
def test_openapi_contract_holds_under_fuzzing(myntra_shop: Shop) -> None:
    app = create_app(myntra_shop.path, admin_token="fuzz-token")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's first failure
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert operations >= 12
    assert failures == []
