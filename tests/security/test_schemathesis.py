"""Schemathesis against the API's own OpenAPI schema, in process, as a logged-in analyst: well over 1,000
generated requests (valid ones, and invalid ones built to break the schema), and not one 5xx.

Every operation of the schema is exercised except ``POST /api/logout`` (it would end the session the run
speaks with; tests/security/test_meta.py covers it). The number of cases per operation is bounded so the run
takes well under two minutes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402

from pingan.api.app import create_app  # noqa: E402
from tests.security.conftest import GENEROUS  # noqa: E402

#: Generated cases per operation and mode; operations with a small input space give fewer.
PER_OPERATION = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 15}
SKIP = {("POST", "/api/logout")}
MINIMUM = 1_000


@pytest.mark.slow
def test_no_generated_request_makes_the_api_fail(county_db: Path, headers: dict[str, dict[str, str]]) -> None:
    app = create_app(county_db, limits=GENEROUS)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = headers["analyst"]
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        for mode, examples in PER_OPERATION.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def fuzz(case: Any) -> None:
                calls[operation.label] += 1
                try:
                    response = case.call(headers=auth)
                except Exception as exc:  # in process, an unhandled error reaches us after its 500 went out
                    failures.append(f"{operation.label} {mode.value}: raised {type(exc).__name__}: {exc} <- "
                                    f"{describe(case)}")
                    return
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:  # record, and go on: the report names every failing input
                    failures.append(f"{operation.label} {mode.value}: {response.status_code} "
                                    f"{response.text[:200]} <- {describe(case)} ({type(exc).__name__})")

            try:
                fuzz()
            except hypothesis.errors.Unsatisfiable:  # no invalid input exists for an operation without inputs
                pass
    total = sum(calls.values())
    summary = {"operations": len(calls), "cases": total, "statuses": dict(sorted(statuses.items())),
               "server_errors": len(failures)}
    print("\nschemathesis:", json.dumps(summary))
    assert failures == [], "\n".join(failures[:20])
    assert total >= MINIMUM, summary
    assert len(calls) == len(operations) - len(SKIP)


def describe(case: Any) -> str:
    parts = {"path": case.path_parameters, "query": case.query, "body": case.body}
    return json.dumps({k: v for k, v in parts.items() if v}, ensure_ascii=False, default=repr)[:300]
