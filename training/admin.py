"""Read-only registry views; the one write is the "Promote to champion" action."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from rest_framework import serializers

from training.api.serializers import path_under_data_roots
from training.models import ModelAlias, ModelAliasChange, ModelVersion, Outcome, TrainingRun
from training.runs import TrainingRunNotCancellable, training_run_cancel, training_run_start
from training.selectors import model_version_list
from training.services import PromotionRefused, TrainingRefused, model_version_promote

MANAGE_PERMISSION = "training.add_modelversion"


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


class TrainingRunStartForm(forms.Form):
    data_path = forms.CharField(max_length=1000, help_text="A file inside the data directory.")
    algorithm = forms.ChoiceField(choices=ModelVersion.Algorithm.choices)
    params = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="{}",
        required=False,
        help_text='JSON, e.g. {"n_estimators": 300, "max_depth": 4}.',
    )
    spec_path = forms.CharField(max_length=1000, required=False, help_text="Optional spec.")

    def clean_data_path(self) -> Any:
        return _checked_path(self.cleaned_data["data_path"])

    def clean_spec_path(self) -> Any:
        value = self.cleaned_data["spec_path"]
        return _checked_path(value) if value else None

    def clean_params(self) -> dict[str, Any]:
        try:
            params = json.loads(self.cleaned_data["params"] or "{}")
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise forms.ValidationError("Must be a JSON object.")
        return params


def _checked_path(value: str) -> Any:
    try:
        return path_under_data_roots(value)
    except serializers.ValidationError as exc:
        raise forms.ValidationError(" ".join(map(str, exc.detail))) from exc


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "stage", "progress_percent", "algorithm", "model_version"]
    list_display += ["requested_by", "created_at", "finished_at"]
    list_filter = ["status", "algorithm"]
    list_select_related = ["model_version", "requested_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["cancel_runs"]
    change_list_template = "admin/training/trainingrun/change_list.html"

    @admin.display(description="progress")
    def progress_percent(self, obj: TrainingRun) -> str:
        return f"{100 * obj.progress:.0f} %"

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(MANAGE_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name="training_trainingrun_start",
        )
        return [start, *super().get_urls()]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        form = TrainingRunStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = self._start(request, form)
            if run is not None:
                self.message_user(request, f"Training run {run.pk} queued.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:training_trainingrun_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts}
        context["title"] = "Start a training run"
        return TemplateResponse(request, "admin/training/trainingrun/start.html", context)

    def _start(self, request: HttpRequest, form: TrainingRunStartForm) -> TrainingRun | None:
        data = form.cleaned_data
        try:
            return training_run_start(
                data_path=data["data_path"],
                algorithm=data["algorithm"],
                params=data["params"],
                spec_path=data["spec_path"],
                requested_by=request.user if isinstance(request.user, User) else None,
            )
        except TrainingRefused as exc:
            form.add_error(None, str(exc))
            return None

    @admin.action(description="Cancel the selected runs", permissions=["manage"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[TrainingRun]) -> None:
        user = request.user if isinstance(request.user, User) else None
        for run_id in queryset.values_list("pk", flat=True)[:100]:
            try:
                run = training_run_cancel(run_id=run_id, by=user)
            except TrainingRunNotCancellable as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            self.message_user(request, f"Training run {run.pk}: {run.status}, cancel requested.")


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = ["request_id", "defaulted", "observed_at", "imported_at"]
    list_filter = ["defaulted"]
    date_hierarchy = "observed_at"
    show_full_result_count = False
