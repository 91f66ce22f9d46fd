"""Read-only registry views; the one write is the "Promote to champion" action."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from training.models import ModelAlias, ModelAliasChange, ModelVersion
from training.selectors import model_version_list
from training.services import PromotionRefused, model_version_promote


class ReadOnlyAdmin(admin.ModelAdmin):
    """View permission only: rows are written by services, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["label", "algorithm", "status", "champion", "test_auc", "created_at"]
    list_filter = ["status", "algorithm"]
    search_fields = ["label"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["promote_to_champion"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        return model_version_list()

    @admin.display(boolean=True, description="champion")
    def champion(self, obj: ModelVersion) -> bool:
        return obj.is_champion

    @admin.display(description="test AUC")
    def test_auc(self, obj: ModelVersion) -> str:
        return "-" if obj.test_auc is None else f"{obj.test_auc:.4f}"

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("training.change_modelversion")

    @admin.action(description="Promote to champion", permissions=["promote"])
    def promote_to_champion(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        labels = list(queryset.values_list("label", flat=True)[:2])
        if len(labels) != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return
        user = request.user if isinstance(request.user, User) else None
        try:
            version = model_version_promote(
                label=labels[0], promoted_by=user, reason="promoted in the admin"
            )
        except PromotionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{version.label} is the champion.", messages.SUCCESS)


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "updated_at"]
    list_select_related = ["version"]


@admin.register(ModelAliasChange)
class ModelAliasChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "alias", "from_version", "to_version", "changed_by", "reason"]
    list_filter = ["alias"]
    list_select_related = ["from_version", "to_version", "changed_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
