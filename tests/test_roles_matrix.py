"""Who may open what: every admin page and API endpoint, for every role, against the README.

The README's table "Roles and what they may do" IS the expectation: this file parses it,
walks every row for anonymous visitors, a loan system's API key and one staff user per role
group (not a superuser: the group's permissions alone), and compares the outcome cell by cell.
People are checked twice: signed in to the admin (a session) and with an access token
(``Authorization: Bearer``), which opens the API exactly as the session does and no admin page.
It also checks that the table lists every admin page and API endpoint the URL configuration
has (so a new endpoint fails here until someone writes down who may use it), and that each
role's admin home shows exactly the models it may open.

To extend: add a row to the README's table; if the request needs a body, a query string or
answers something other than 200 when allowed, add a ``PROBES`` entry; if it has a new
placeholder, add it to ``World.placeholders``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from audit.exports import decision_records_export
from audit.models import DecisionRecord, Outcome
from audit.sealing import audit_seal
from audit.selectors import RecordFilter
from audit.services import portfolio_run_record_create
from credit_ml.artifacts import SavedArtifact
from monitoring.models import MonitoringAlert, MonitoringSnapshot
from policy.services import simulation_run_create, simulation_run_execute
from policy.simulation import SimulationRequest
from portfolio.models import PortfolioRun
from portfolio.services import portfolio_run_audit
from registry import model_cache, roles
from registry.api_keys import forget_clients
from registry.models import ArtifactAlert, ModelVersion, RuleSet
from registry.people_tokens import person_refresh_token
from registry.services import api_client_create, model_version_promote
from review.services import objection_open
from scoring.examples import EXAMPLE_APPLICATION
from scoring.services import Endpoint, actor_of, application_score
from training.models import TrainingRun

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Roles and what they may do"
ANONYMOUS, API_KEY = "anonymous", "API key"
WHO = (
    ANONYMOUS,
    API_KEY,
    roles.COMPLIANCE_OFFICER,
    roles.MODEL_MANAGER,
    roles.CREDIT_OFFICER,
    roles.CREDIT_POLICY_MANAGER,
    roles.RISK_MANAGER,
    roles.ADMINISTRATOR,
)
#: What a cell may say: allowed, refused (403), sent to the admin's sign-in page, or asked
#: for credentials by the API (401).
OUTCOMES = ("ok", "403", "login", "401")
LOGIN = "/admin/login/"
#: How a person is signed in: the admin's session, or a token (``Authorization: Bearer``).
SESSION, JWT = "session", "JWT"

#: Pages of the admin the table leaves out, and why.
NOT_IN_TABLE = {
    "/admin/login/": "the sign-in page itself",
    "/admin/logout/": "signing out",
    "/admin/password_change/": "every signed-in person's own password",
    "/admin/password_change/done/": "every signed-in person's own password",
    "/admin/autocomplete/": "answers only for the models a person may view",
    "/admin/jsi18n/": "translations for the admin's scripts",
    "/admin/r/<content_type_id>/<object_id>/": "no model has a public page",
    "/admin/auth/user/<id>/password/": "an administrator's page (change users)",
}
#: Model pages the table leaves out: adding, deleting and history follow the model's add,
#: delete and view permissions, and the read-only admins refuse the first two to everyone.
NOT_IN_TABLE_SUFFIXES = ("add/", "<object_id>/history/", "<object_id>/delete/", "<object_id>/")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    extra: str  # e.g. "action=export_csv" for an admin action posted to a changelist
    cells: dict[str, str]

    @property
    def key(self) -> str:
        return " ".join(part for part in (self.method, self.path, self.extra) if part)


@dataclass(frozen=True)
class Probe:
    """How to send a row's request and what it answers when allowed."""

    data: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    json: bool = False
    ok: int = 200
    ok_location: str | None = None  # an allowed redirect goes here (placeholders filled)


PROBES: dict[str, Probe] = {
    # An empty body passes access control and is refused by validation: nothing is written.
    "POST /api/v1/predict": Probe(data={}, json=True, ok=400),
    "POST /api/v1/explain": Probe(data={}, json=True, ok=400),
    "POST /api/v1/predict/batch": Probe(data={}, json=True, ok=400),
    "POST /api/v1/training-runs": Probe(data={}, json=True, ok=400),
    "POST /api/v1/auth/token": Probe(data={}, json=True, ok=400),
    "POST /api/v1/auth/token/refresh": Probe(data={}, json=True, ok=400),
    "POST /api/v1/auth/token/logout": Probe(data={}, json=True, ok=400),
    "POST /api/v1/portfolio-runs": Probe(data={}, json=True, ok=400),
    # The world's portfolio run has finished: cancelling it is refused by validation.
    "POST /api/v1/portfolio-runs/<portfolio_run_id>/cancel": Probe(data={}, json=True, ok=400),
    "POST /api/v1/models/<label>/challenger": Probe(data={}, json=True, ok=400),
    "POST /api/v1/decisions/<request_id>/objections": Probe(
        data={"statement": ["not text"]}, json=True, ok=400
    ),
    "POST /api/v1/reviews/<case_id>/resolve": Probe(data={}, json=True, ok=400),
    "POST /api/v1/reviews/<case_id>/approve": Probe(data={}, json=True, ok=400),
    "POST /api/v1/decisions/<request_id>/letter": Probe(data={}, json=True, ok=400),
    "POST /review/cases/<case_id>/claim/": Probe(
        data={}, ok=302, ok_location="/review/cases/<case_id>/"
    ),
    "POST /review/cases/<case_id>/resolve/": Probe(data={}, ok=400),
    "POST /review/cases/<case_id>/approve/": Probe(data={}, ok=400),
    "POST /i18n/setlang/": Probe(data={"language": "id", "next": "/"}, ok=302, ok_location="/"),
    "GET /api/v1/audit-log/export": Probe(query={"format": "csv"}),
    # The matrix's champion has no baseline: the report is refused by validation (400).
    "GET /api/v1/monitoring/report": Probe(
        query={"from": "2026-01-01", "to": "2026-01-31"}, ok=400
    ),
    "POST /admin/audit/decisionrecord/ action=export_csv": Probe(
        data={"action": "export_csv", "_selected_action": "<record_pk>"},
        ok=302,
        ok_location="/admin/audit/decisionrecord/export/",
    ),
    "POST /admin/audit/decisionrecord/<pk>/replay/": Probe(data={}),
    "POST /api/v1/simulations": Probe(data={}, json=True, ok=400),
    # Without a note the acknowledgement is refused (back to the alert, nothing written).
    "POST /admin/monitoring/monitoringalert/<pk>/acknowledge/": Probe(
        data={}, ok=302, ok_location="/admin/monitoring/monitoringalert/"
    ),
}


# --- the README's table ------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`").strip() for cell in line.strip().strip("|").split("|")]


def readme_table() -> list[Row]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) + len(SECTION) :].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header, _rule, *body = lines
    assert tuple(_cells(header)[1:]) == WHO
    rows = []
    for line in body:
        first, *values = _cells(line)
        method, path, *extra = first.split(" ")
        assert set(values) <= set(OUTCOMES), line
        rows.append(Row(method, path, " ".join(extra), dict(zip(WHO, values, strict=True))))
    return rows


# --- the URL configuration ----------------------------------------------------------------


def _patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _route(pattern: str) -> str:
    """``admin/x/<path:object_id>/change/`` -> ``/admin/x/<object_id>/change/``."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", pattern)


def _left_out(route: str) -> bool:
    if route in NOT_IN_TABLE or "(?P<" in route or route.startswith("/admin/^"):
        return True  # the app index pages and the catch-all are regular expressions
    parts = route.split("/")
    model_page = route.startswith("/admin/") and len(parts) > 4
    return model_page and any(route.endswith("/" + suffix) for suffix in NOT_IN_TABLE_SUFFIXES)


def routes() -> set[tuple[str, str]]:
    """(method, route) of every admin page and API endpoint the table should list; admin
    pages are GET (the table may list them with POST), API views name their methods."""
    found: set[tuple[str, str]] = set()
    for pattern, callback in _patterns(get_resolver().url_patterns):
        route = _route(pattern)
        if _left_out(route):
            continue
        view_class = getattr(callback, "cls", None)
        methods = [m.upper() for m in ("get", "post", "put", "patch", "delete")]
        if view_class is not None:
            methods = [m for m in methods if hasattr(view_class, m.lower())]
        else:
            methods = ["*"]
        found.update((method, route) for method in methods)
    return found


def test_the_table_lists_every_admin_page_and_api_endpoint_and_nothing_else() -> None:
    listed = {(row.method, row.path) for row in readme_table()}
    listed_any_method = {("*", path) for _, path in listed}
    existing = routes()
    assert {route for route in existing if route not in listed | listed_any_method} == set()
    existing_paths = {path for _, path in existing}
    assert {(m, p) for m, p in listed if p not in existing_paths} == set()


def test_the_table_has_one_row_per_request() -> None:
    keys = [row.key for row in readme_table()]
    assert len(keys) == len(set(keys))
    assert set(PROBES) <= set(keys)


# --- the world the requests see ------------------------------------------------------------


@pytest.fixture(scope="module")
def artifact(tiny_artifact: Callable[[str], SavedArtifact]) -> SavedArtifact:
    return tiny_artifact("m-matrix")


@dataclass
class World:
    champion: ModelVersion
    record: DecisionRecord
    key: str
    export_id: int
    run_id: int
    simulation_id: int
    portfolio_run_id: int
    users: dict[str, User]
    case_id: int

    def placeholders(self, path: str) -> dict[str, str]:
        values = {
            "<request_id>": str(self.record.request_id),
            "<label>": self.champion.label,
            "<export_id>": str(self.export_id),
            "<run_id>": str(self.run_id),
            "<portfolio_run_id>": str(self.portfolio_run_id),
            "<record_pk>": str(self.record.pk),
            "<case_id>": str(self.case_id),
            "<simulation_id>": str(self.simulation_id),
        }
        admin_model = re.match(r"/admin/(\w+)/(\w+)/", path)
        if admin_model:
            values["<object_id>"] = values["<pk>"] = str(self._first_pk(*admin_model.groups()))
        return values

    @staticmethod
    def _first_pk(app_label: str, model_name: str) -> Any:
        from django.apps import apps

        model = apps.get_model(app_label, model_name)
        return model._default_manager.order_by("pk").values_list("pk", flat=True).first()

    def client(self, who: str, scheme: str = SESSION) -> Client:
        if who == ANONYMOUS:
            return Client()
        if who == API_KEY:
            return Client(HTTP_AUTHORIZATION=f"Api-Key {self.key}")
        if scheme == JWT:
            access = person_refresh_token(self.users[who]).access_token
            return Client(HTTP_AUTHORIZATION=f"Bearer {access}")
        client = Client()
        client.force_login(self.users[who])
        return client


def _staff(role: str) -> User:
    user = User.objects.create_user(role.lower().replace(" ", "-"), password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(db: None, artifact: SavedArtifact, settings: Any) -> Iterator[World]:
    """One of everything: a champion and its history, a key, a scored decision sealed into a
    checkpoint, an export by the compliance officer, a training run, an outcome, staff."""
    model_cache.clear()
    forget_clients()
    settings.KREDITAX_METRICS_TOKEN = "matrix-metrics-token"  # sent by no one here: 401
    champion = ModelVersion.objects.create(
        label="m-matrix",
        algorithm=ModelVersion.Algorithm.XGBOOST,
        status=ModelVersion.Status.READY,
        artifact_path=str(artifact.path),
        artifact_sha256=artifact.sha256,
        metrics={"auc": 0.75},
        data_fingerprint="d" * 64,
        ready_at=timezone.now(),
    )
    model_version_promote(label=champion.label, reason="the matrix's champion")
    ArtifactAlert.objects.create(
        version=champion, kind=ArtifactAlert.Kind.RESTORED, message="m-matrix is READY again."
    )
    api_client, key = api_client_create(name="los-matrix", rule_set_name="fintech")
    application_score(
        payload={**EXAMPLE_APPLICATION, "application_id": "MATRIX-1"},
        actor=actor_of(client=api_client, user=None),
        endpoint=Endpoint.EXPLAIN,
        idempotency_key=None,
    )
    record = DecisionRecord.objects.get()
    audit_seal(now=timezone.now() + timedelta(hours=1))
    users = {role: _staff(role) for role in roles.ROLES}
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
    Outcome.objects.create(
        request_id=record.request_id, defaulted=False, observed_at=timezone.localdate()
    )
    case = objection_open(record=record, actor="client:los-matrix")
    person_refresh_token(users[roles.COMPLIANCE_OFFICER]).blacklist()  # one of each token row
    day = record.decision_date
    simulation = simulation_run_create(request=SimulationRequest(day, day), user=None)
    simulation_run_execute(run_id=simulation.pk)
    snapshot = MonitoringSnapshot.objects.create(
        day=record.decision_date,
        model_version=champion,
        model_label=champion.label,
        decisions=1,
        approved=int(record.decision == "APPROVE"),
        report={},
    )
    MonitoringAlert.objects.create(
        snapshot=snapshot, kind="PSI_ACT", subject="score", value=0.3, threshold=0.25, message="-"
    )
    portfolio_run = _finished_portfolio_run(champion, users[roles.MODEL_MANAGER])
    yield World(
        champion, record, key, access.pk, run.pk, simulation.pk, portfolio_run.pk, users, case.pk
    )
    model_cache.clear()
    forget_clients()


def _finished_portfolio_run(champion: ModelVersion, user: User) -> PortfolioRun:
    """A SUCCEEDED portfolio run and its audit record, as the service writes it."""
    run = PortfolioRun.objects.create(
        status=PortfolioRun.Status.SUCCEEDED,
        data_path="/data/book.parquet",
        input_sha256="b" * 64,
        out_path="/portfolio/scores.parquet",
        output_sha256="c" * 64,
        model_version=champion,
        rule_set=RuleSet.objects.filter(name="fintech").latest("created_at"),
        as_of=timezone.localdate(),
        requested_by=user,
        finished_at=timezone.now(),
    )
    portfolio_run_record_create(run=portfolio_run_audit(run))
    return run


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    assert "<" not in text, text
    return text


def outcome(world: World, who: str, row: Row, scheme: str = SESSION) -> str:
    """What ``who`` gets for ``row``: one of ``OUTCOMES``, or what happened instead."""
    probe = PROBES.get(row.key, Probe())
    values = world.placeholders(row.path)
    url = _fill(row.path, values)
    client = world.client(who, scheme)
    if row.method == "GET":
        response = client.get(url, probe.query)
    elif probe.json:
        response = client.post(url, probe.data, content_type="application/json")
    else:
        data = {k: _fill(v, values) for k, v in (probe.data or {}).items()}
        response = client.post(url, data)
    status, location = response.status_code, response.get("Location", "")
    if status == 302 and location.startswith(LOGIN):
        return "login"
    wanted = _fill(probe.ok_location, values) if probe.ok_location else None
    if status == probe.ok and (wanted is None or location.startswith(wanted)):
        return "ok"
    if status in (401, 403):
        return str(status)
    return f"{status} {location}".strip()


def expected(row: Row, who: str, scheme: str) -> str:
    """The README's cell; a person's token opens the API only (the admin and the review
    pages need a session)."""
    if scheme == JWT and row.path.startswith(("/admin/", "/review/")):
        return "login"
    return row.cells[who]


@pytest.mark.parametrize(
    ("who", "scheme"),
    [(who, SESSION) for who in WHO] + [(role, JWT) for role in roles.ROLES],
)
def test_each_role_gets_what_the_readme_says(world: World, who: str, scheme: str) -> None:
    rows = readme_table()
    observed = {row.key: outcome(world, who, row, scheme) for row in rows}
    assert observed == {row.key: expected(row, who, scheme) for row in rows}


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_each_role_sees_on_the_admin_home_exactly_the_lists_it_may_open(
    world: World, role: str
) -> None:
    response = world.client(role).get("/admin/")
    shown = {model["admin_url"] for app in response.context["app_list"] for model in app["models"]}
    may_open = {
        row.path
        for row in readme_table()
        if row.method == "GET"
        and re.fullmatch(r"/admin/\w+/\w+/", row.path)
        and row.cells[role] == "ok"
    }
    assert shown == may_open
    assert shown  # every role has work to do in the admin
