"""The registry in the admin, and the admin building blocks shared by the apps.

Artifact alerts: what the periodic artifact check found (read-only).

Loan systems' API keys: create (the key is shown once), expire, revoke. Keys are never
deleted: every decision records the client that asked. The library's own ``APIKey`` model
is not used (loan systems authenticate as ``ApiClient``), so it is taken out of the admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from rest_framework_api_key import admin as api_key_admin
from rest_framework_api_key.models import APIKey

from registry.models import ApiClient, ArtifactAlert

if TYPE_CHECKING:  # generic in django-stubs only
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


class ReadOnlyAdmin(_ModelAdmin):
    """The view permission only: these rows are written by services, never by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


if admin.site.is_registered(APIKey):  # registered when its admin module is imported
    admin.site.unregister(APIKey)


@admin.register(ApiClient)
class ApiClientAdmin(api_key_admin.APIKeyModelAdmin):
    model = ApiClient
    # The library's admin annotates these as fixed-length tuples; ours are longer.
    list_display = (  # type: ignore[assignment]
        "prefix",
        "name",
        "rule_set",
        "created",
        "expiry_date",
        "_has_expired",
        "revoked",
    )
    list_filter = ("revoked", "rule_set__name", "created")  # type: ignore[assignment]
    list_select_related = ("rule_set",)
    fields = ("name", "rule_set", "expiry_date", "revoked", "prefix")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.revoked:
            fields += ("rule_set",)  # a revoked key stays as it was
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # decisions refer to the client: revoke instead


@admin.register(ArtifactAlert)
class ArtifactAlertAdmin(ReadOnlyAdmin):
    """Model versions whose artifact the periodic check found damaged (or restored)."""

    list_display = ["created_at", "version", "kind", "message"]
    list_filter = ["kind"]
    list_select_related = ["version"]
    date_hierarchy = "created_at"
    show_full_result_count = False
