"""People and roles: demo users for the embedded demo."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from registry import roles

DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("compliance", roles.COMPLIANCE_OFFICER),
    ("modeler", roles.MODEL_MANAGER),
    ("officer", roles.CREDIT_OFFICER),
    ("admin", roles.ADMINISTRATOR),
)


@transaction.atomic
def demo_users_ensure(*, password: str) -> list[tuple[str, str]]:
    """One staff user per role group (the administrator is a superuser); idempotent."""
    created = []
    for username, group_name in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = group_name == roles.ADMINISTRATOR
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=group_name)])
        created.append((username, group_name))
    return created
