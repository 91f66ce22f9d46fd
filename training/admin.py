"""Read-only registry views; the writes are the alias switches: "Promote to champion",
"Make challenger" and the promotion override page."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from rest_framework import serializers

from credit_ml.artifacts import ArtifactError
from registry.admin import ReadOnlyAdmin
from registry.errors import ModelVersionNotReady, PromotionRefused
from registry.models import ENGINE_CHOICES, ModelAlias, ModelAliasChange, ModelVersion
from registry.selectors import model_version_aliases, model_version_list
from registry.services import model_version_make_challenger, model_version_promote
from training.api.serializers import path_under_data_roots
from training.comparison import challenger_comparison
from training.models import TrainingRun
from training.reports import model_version_report
from training.runs import (
    TrainingQueueUnavailable,
    TrainingRunNotCancellable,
    training_run_cancel,
    training_run_start,
)
from training.services import TrainingRefused

MANAGE_PERMISSION = "registry.add_modelversion"


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ["label", "algorithm", "status", "aliases", "test_auc", "created_at"]
    list_filter = ["status", "algorithm"]
    search_fields = ["label"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["promote_to_champion", "make_challenger"]

    readonly_fields = ["pages"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelVersion]:
        return model_version_list()

    def get_urls(self) -> list[URLPattern]:
        challenger = path(
            "<int:pk>/challenger/",
            self.admin_site.admin_view(self.challenger_view),
            name="registry_modelversion_challenger",
        )
        report = path(
            "<int:pk>/report/",
            self.admin_site.admin_view(self.report_view),
            name="registry_modelversion_report",
        )
        override = path(
            "<int:pk>/promote-override/",
            self.admin_site.admin_view(self.promote_override_view),
            name="registry_modelversion_promote_override",
        )
        return [challenger, report, override, *super().get_urls()]

    @admin.display(description="pages")
    def pages(self, obj: ModelVersion) -> str:
        return format_html(
            '<a href="{}">Model report</a> | <a href="{}">Champion/challenger comparison</a>'
            ' | <a href="{}">Promote with an override reason</a>',
            reverse("admin:registry_modelversion_report", args=[obj.pk]),
            reverse("admin:registry_modelversion_challenger", args=[obj.pk]),
            reverse("admin:registry_modelversion_promote_override", args=[obj.pk]),
        )

    def promote_override_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Promote without the AUC comparison; the override reason is recorded."""
        if not self.has_promote_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        form = PromoteOverrideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = request.user if isinstance(request.user, User) else None
            try:
                model_version_promote(
                    label=version.label,
                    promoted_by=user,
                    override_reason=form.cleaned_data["override_reason"],
                    schema_change_reason=form.cleaned_data["schema_change_reason"],
                )
            except PromotionRefused as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"{version.label} is the champion.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:registry_modelversion_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts}
        context["title"] = f"Promote {version.label} with an override reason"
        return TemplateResponse(
            request, "admin/registry/modelversion/promote_override.html", context
        )

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Metrics, plots, importance, fairness and lineage of a READY version."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        context = {**self.admin_site.each_context(request), "opts": self.opts}
        context["title"] = f"Model report: {version.label}"
        try:
            context["report"] = model_version_report(version=version)
        except (ModelVersionNotReady, ArtifactError) as exc:
            context["problem"] = str(exc)
        return TemplateResponse(request, "admin/registry/modelversion/report.html", context)

    def challenger_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The version's shadow results against the champion's decisions (view permission)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "version": version,
            "comparison": challenger_comparison(label=version.label),
            "title": f"{version.label} as challenger",
        }
        return TemplateResponse(request, "admin/registry/modelversion/challenger.html", context)

    @admin.display(description="aliases")
    def aliases(self, obj: ModelVersion) -> str:
        return ", ".join(model_version_aliases(version=obj)) or "-"

    @admin.display(description="test AUC")
    def test_auc(self, obj: ModelVersion) -> str:
        return "-" if obj.test_auc is None else f"{obj.test_auc:.4f}"

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("registry.change_modelversion")

    @admin.action(description="Promote to champion", permissions=["promote"])
    def promote_to_champion(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        labels = list(queryset.values_list("label", flat=True)[:2])
        if len(labels) != 1:
            self.message_user(request, "Select exactly one version to promote.", messages.ERROR)
            return
        user = request.user if isinstance(request.user, User) else None
        try:
            promotion = model_version_promote(
                label=labels[0], promoted_by=user, reason="promoted in the admin"
            )
        except PromotionRefused as exc:  # worse, or a schema change: the override page
            self.message_user(request, str(exc), messages.ERROR)
            return
        comparison = promotion.comparison
        for warning in comparison.warnings if comparison is not None else ():
            self.message_user(request, warning, messages.WARNING)
        self.message_user(request, f"{promotion.version.label} is the champion.", messages.SUCCESS)

    @admin.action(
        description="Make challenger (scores in the champion's shadow)", permissions=["promote"]
    )
    def make_challenger(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        labels = list(queryset.values_list("label", flat=True)[:2])
        if len(labels) != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        user = request.user if isinstance(request.user, User) else None
        try:
            version = model_version_make_challenger(
                label=labels[0], by=user, reason="made challenger in the admin"
            )
        except PromotionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{version.label} is the challenger.", messages.SUCCESS)


class PromoteOverrideForm(forms.Form):
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Why this version should be champion although it was not compared or lost.",
    )

    schema_change_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
        help_text="Only if the version refuses applications the champion accepts: why the "
        "loan systems' payloads fit it (they changed their fields).",
    )

    def clean_override_reason(self) -> str:
        value = str(self.cleaned_data["override_reason"]).strip()
        if not value:
            raise forms.ValidationError("An override needs a reason.")
        return value

    def clean_schema_change_reason(self) -> str:
        return str(self.cleaned_data["schema_change_reason"]).strip()


@admin.register(ModelAlias)
class ModelAliasAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "updated_at"]
    list_select_related = ["version"]


@admin.register(ModelAliasChange)
class ModelAliasChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "alias", "from_version", "to_version", "who", "reason"]
    list_filter = ["alias"]
    list_select_related = ["from_version", "to_version", "changed_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="who")
    def who(self, obj: ModelAliasChange) -> str:
        """The recorded name (``os:NAME`` for a command without --user); older rows have
        only the user."""
        if obj.changed_by_name:
            return obj.changed_by_name
        return obj.changed_by.get_username() if obj.changed_by is not None else "-"


class TrainingRunStartForm(forms.Form):
    data_path = forms.CharField(
        max_length=1000,
        help_text="A file inside the data directory (Dask engine: also a folder of Parquet parts).",
    )
    algorithm = forms.ChoiceField(choices=ModelVersion.Algorithm.choices)
    params = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="{}",
        required=False,
        help_text='JSON, e.g. {"n_estimators": 300, "max_depth": 4}.',
    )
    spec_path = forms.CharField(max_length=1000, required=False, help_text="Optional spec.")
    engine = forms.ChoiceField(
        choices=ENGINE_CHOICES,
        initial="local",
        required=False,
    )

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
                engine=data["engine"] or "local",
            )
        except (TrainingRefused, TrainingQueueUnavailable) as exc:
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
