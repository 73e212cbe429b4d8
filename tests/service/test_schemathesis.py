"""The OpenAPI document, exercised by schemathesis against the service on 127.0.0.1: no server error.

Bounded: a few generated cases per operation (hypothesis, derandomized), as the admin, who may
call every operation. The job worker is stopped so that generated profile jobs only queue.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import select
from svc_helpers import live_server

from corridor.service import auth
from corridor.service.store import User, session_scope

EXAMPLES = 6


def test_openapi_operations_never_answer_with_a_server_error(tmp_path: Path, template_data: Path):
    with live_server(tmp_path, template_data) as (url, app):
        app.state.services.runner.stop(timeout=1)
        with session_scope(app.state.services.engine) as s:
            token, _ = auth.new_api_token(s, s.scalar(select(User).where(User.username == "admin")), "fuzz")
        schema = schemathesis.openapi.from_url(url + "/api/v1/openapi.json")
        failures: list[str] = []
        calls = [0]
        operations = [r.ok() for r in schema.get_all_operations()]
        for op in operations:
            failure = _fuzz(op, url, token, calls)
            if failure:
                failures.append(f"{op.method.upper()} {op.path}: {failure}")
        print(f"schemathesis: {len(operations)} operations, {calls[0]} generated calls")
        assert len(operations) >= 20 and calls[0] >= len(operations)
        assert failures == []


def _fuzz(op, url: str, token: str, calls: list[int]) -> str | None:
    """Run hypothesis on one operation; the first failure's message, or None."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def run(case) -> None:
        calls[0] += 1
        case.call_and_validate(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
        )

    try:
        run()
    except Exception as exc:  # noqa: BLE001 - reported with the operation by the caller
        return str(exc)[:500]
    return None
