"""schemathesis over the whole OpenAPI schema, for every role: no 5xx, every answer as documented.

The schema is loaded from the running application (``/api/schema/``, in-process through the
WSGI app), so it is the one clients see. For each operation and each caller (a loan system's
API key, a compliance officer and a credit officer with a bearer token, a model manager with
a session and its CSRF token) hypothesis generates requests from the schema: path parameters
name real objects (the champion, a recorded decision, an export, a training run) so that
the allowed answers are real ones. Bounded: ``EXAMPLES`` requests per operation and caller,
no shrinking (a failure is reported as found).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from audit.exports import decision_records_export
from audit.models import DecisionRecord
from audit.sealing import audit_seal
from audit.selectors import RecordFilter
from credit_ml.artifacts import SavedArtifact
from registry import model_cache, roles
from registry.api_keys import forget_clients
from registry.models import ModelVersion
from registry.people_tokens import person_refresh_token
from registry.services import api_client_create, model_version_promote
from scoring.examples import EXAMPLE_APPLICATION
from scoring.services import Endpoint, actor_of, application_score
from tests.test_roles_matrix import Row, _finished_portfolio_run, readme_table
from training.models import TrainingRun

#: Requests per operation and caller: about 25 operations x 4 callers x EXAMPLES in all.
EXAMPLES = 10
CSRF = "k" * 32  # a CSRF secret as Django accepts it unmasked, in the cookie and the header
CALLERS = ("API key", roles.COMPLIANCE_OFFICER, roles.CREDIT_OFFICER, roles.MODEL_MANAGER)


@pytest.fixture(scope="module")
def artifact(tiny_artifact: Callable[[str], SavedArtifact]) -> SavedArtifact:
    return tiny_artifact("m-fuzz")


@dataclass
class World:
    key: str
    users: dict[str, User]
    path_parameters: dict[str, Any]

    def credentials(self, who: str) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, cookies) of ``who``."""
        if who == "API key":
            return {"Authorization": f"Api-Key {self.key}"}, {}
        user = self.users[who]
        if who == roles.MODEL_MANAGER:  # the admin's session, as a browser has it
            client = Client()
            client.force_login(user)
            session = client.cookies["sessionid"].value
            return {"X-CSRFToken": CSRF}, {"sessionid": session, "csrftoken": CSRF}
        access = person_refresh_token(user).access_token
        return {"Authorization": f"Bearer {access}"}, {}


@pytest.fixture
def world(db: None, artifact: SavedArtifact) -> Iterator[World]:
    model_cache.clear()
    forget_clients()
    caches["throttle"].clear()
    champion = ModelVersion.objects.create(
        label="m-fuzz",
        algorithm=ModelVersion.Algorithm.XGBOOST,
        status=ModelVersion.Status.READY,
        artifact_path=str(artifact.path),
        artifact_sha256=artifact.sha256,
        metrics={"auc": 0.75},
        data_fingerprint="d" * 64,
        ready_at=timezone.now(),
    )
    model_version_promote(label=champion.label, reason="the fuzzing champion")
    api_client, key = api_client_create(name="los-fuzz", rule_set_name="fintech")
    application_score(
        payload={**EXAMPLE_APPLICATION, "application_id": "FUZZ-1"},
        actor=actor_of(client=api_client, user=None),
        endpoint=Endpoint.EXPLAIN,
        idempotency_key=None,
    )
    record = DecisionRecord.objects.get()
    audit_seal(now=timezone.now() + timedelta(hours=1))
    users = {}
    for role in (roles.COMPLIANCE_OFFICER, roles.CREDIT_OFFICER, roles.MODEL_MANAGER):
        users[role] = User.objects.create_user(role.lower().replace(" ", "-"), is_staff=True)
        users[role].groups.add(Group.objects.get(name=role))
    access, _ = decision_records_export(
        record_filter=RecordFilter(), fmt="csv", user=users[roles.COMPLIANCE_OFFICER]
    )
    run = TrainingRun.objects.create(
        status=TrainingRun.Status.SUCCEEDED,
        algorithm="xgboost",
        data_path="/data/applications.csv",
        data_sha256="a" * 64,
        model_version=champion,
    )
    portfolio_run = _finished_portfolio_run(champion, users[roles.MODEL_MANAGER])
    parameters = {
        "portfolio_run_id": portfolio_run.pk,
        "label": champion.label,
        "request_id": str(record.request_id),
        "export_id": access.pk,
        "run_id": run.pk,
        "id": run.pk,
    }
    yield World(key, users, parameters)
    model_cache.clear()
    forget_clients()
    caches["throttle"].clear()


def _fuzz(
    operation: Any, headers: dict[str, str], cookies: dict[str, str], path: dict[str, Any]
) -> set[int]:
    """Fuzz ``operation`` as the caller; the status codes it answered."""
    statuses: set[int] = set()
    names = {p.name for p in operation.path_parameters}
    strategy = st.one_of(
        [
            operation.as_strategy(
                mode,
                headers=headers,
                cookies=cookies,
                path_parameters={k: v for k, v in path.items() if k in names} or None,
            )
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call()
        statuses.add(response.status_code)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    check()
    return statuses


def _label(row: Row) -> str:
    return f"{row.method} {re.sub(r'<(\w+)>', r'{\1}', row.path)}"


def api_operations_in_the_roles_table() -> set[str]:
    """Every /api/v1 endpoint of the README's roles table, as schemathesis labels it."""
    return {_label(row) for row in readme_table() if row.path.startswith("/api/v1/")}


def reads_allowed_to(who: str) -> set[str]:
    """The GET endpoints the README's table lets ``who`` use."""
    return {
        _label(row)
        for row in readme_table()
        if row.path.startswith("/api/v1/") and row.method == "GET" and row.cells[who] == "ok"
    }


@pytest.mark.parametrize("who", CALLERS)
def test_no_operation_answers_5xx_or_off_schema(world: World, who: str, wsgi_app: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    headers, cookies = world.credentials(who)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.label for op in operations} == api_operations_in_the_roles_table()
    answered = {op.label: _fuzz(op, headers, cookies, world.path_parameters) for op in operations}
    # The caller really was who it says: each read it may do answered 2xx at least once.
    succeeded = {label for label, statuses in answered.items() if min(statuses) < 300}
    assert reads_allowed_to(who) - succeeded == set()
