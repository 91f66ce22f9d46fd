"""People and roles: demo users for the embedded demo, one per role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from registry import roles


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    #: What the role does, and the admin page where that work starts.
    work: str
    start: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "compliance",
        roles.COMPLIANCE_OFFICER,
        "decisions: search, verify, replay, export",
        "/admin/audit/decisionrecord/",
    ),
    DemoUser(
        "modeler",
        roles.MODEL_MANAGER,
        "model versions and training runs",
        "/admin/training/trainingrun/",
    ),
    DemoUser(
        "officer",
        roles.CREDIT_OFFICER,
        "review cases: claim, resolve, objections",
        "/review/",
    ),
    DemoUser(
        "officer2",
        roles.CREDIT_OFFICER,
        "the second officer who approves overrides",
        "/review/",
    ),
    DemoUser(
        "policy",
        roles.CREDIT_POLICY_MANAGER,
        "rule-set versions: draft, simulate on past decisions, approve another's draft",
        "/admin/policy/simulationrun/",
    ),
    DemoUser(
        "risk",
        roles.RISK_MANAGER,
        "monitoring: stability, decision mix, performance, fairness, alerts",
        "/admin/monitoring/monitoringsnapshot/dashboard/",
    ),
    DemoUser("admin", roles.ADMINISTRATOR, "everything, people and API keys", "/admin/"),
)


@transaction.atomic
def demo_users_ensure(*, password: str) -> tuple[DemoUser, ...]:
    """One staff user per role group (the administrator is a superuser); idempotent."""
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.is_staff = True
        user.is_superuser = demo.role == roles.ADMINISTRATOR
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=demo.role)])
    return DEMO_USERS
