"""Credit policy in the admin: rule-set versions (draft, review: approve or refuse) and
simulation runs (start, watch, cancel, read the report, download it as CSV).

Thin: every write is a service of ``registry.rule_sets`` or ``policy.services``.
"""

from __future__ import annotations

import json
from datetime import date
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
from django.utils.safestring import mark_safe

from policy.models import SimulationRun
from policy.reports import report_csv, report_page
from policy.services import (
    SimulationNotCancellable,
    SimulationRefused,
    rule_set_approve_with_run,
    simulation_run_cancel,
    simulation_run_start,
)
from policy.simulation import SimulationRequest
from registry.admin import ReadOnlyAdmin
from registry.errors import RuleSetRefused
from registry.models import ModelVersion, RuleSet
from registry.rule_sets import (
    APPROVE_PERMISSION,
    policy_today,
    rule_set_draft_create,
    rule_set_draft_update,
    rule_set_parse,
    rule_set_refuse,
)

START_PERMISSION = "policy.add_simulationrun"
CANCEL_PERMISSION = "policy.change_simulationrun"


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


# --------------------------------------------------------------------------------------
# Rule-set versions
# --------------------------------------------------------------------------------------


class RuleSetDraftForm(forms.ModelForm):  # type: ignore[type-arg]
    """A draft: the definition as JSON (``credit_ml.policy.RuleSet.to_dict``), its
    effective date and the published version it succeeds; checked by the service's rules."""

    definition = forms.JSONField(
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100}),
        help_text="Rules and parameters (caps as fractions: 0.3 = 30 %), unchecked, "
        "max_term_months, rule_reasons and pd_thresholds {approve_below, reject_from}.",
    )

    class Meta:
        model = RuleSet
        fields = ["based_on", "effective_from", "definition"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        based_on = self.fields.get("based_on")  # absent on a view-only page
        if isinstance(based_on, forms.ModelChoiceField):
            based_on.queryset = RuleSet.objects.filter(status=RuleSet.Status.PUBLISHED)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "definition" in data and data.get("effective_from") is not None:
            try:
                rule_set_parse(
                    definition=data["definition"],
                    effective_from=data["effective_from"],
                    today=policy_today(),
                )
            except RuleSetRefused as exc:
                for reasons in exc.fields.values():
                    for reason in reasons:
                        self.add_error("definition", reason)
        return data


class RuleSetReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve and publish"), ("refuse", "Refuse")])
    simulation = forms.ModelChoiceField(
        queryset=SimulationRun.objects.none(),
        required=False,
        help_text="A finished simulation run of exactly this draft (required to approve).",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, rule_set: RuleSet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        simulation = self.fields["simulation"]
        assert isinstance(simulation, forms.ModelChoiceField)
        simulation.queryset = SimulationRun.objects.filter(
            rule_set=rule_set, status=SimulationRun.Status.SUCCEEDED
        )


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["version", "name", "status", "effective_from", "based_on", "created_by"]
    list_display += ["reviewed_by", "reviewed_at", "review"]
    list_filter = ["status", "name"]
    list_select_related = ["based_on", "created_by", "reviewed_by"]
    form = RuleSetDraftForm
    readonly_fields = ["status", "created_by", "reviewed_by", "reviewed_at", "review_reason"]
    readonly_fields += ["simulation_run_id", "simulated_sha256"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Only a draft changes; published and refused versions are for reading."""
        if obj is not None and obj.status != RuleSet.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            rule_set_draft_update(
                rule_set=obj, definition=data["definition"], effective_from=data["effective_from"]
            )
        else:
            created = rule_set_draft_create(
                definition=data["definition"],
                effective_from=data["effective_from"],
                based_on=data["based_on"],
                user=_user(request),
            )
            obj.pk = created.pk

    @admin.display(description="next step")
    def review(self, obj: RuleSet) -> str:
        if obj.status == RuleSet.Status.PUBLISHED:
            url = reverse("admin:registry_ruleset_add") + f"?based_on={obj.pk}"
            return format_html('<a href="{}">Draft a successor</a>', url)
        if obj.status != RuleSet.Status.DRAFT:
            return "-"
        url = reverse("admin:registry_ruleset_review", args=[obj.pk])
        return format_html('<a href="{}">Review</a>', url)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A successor starts as a copy of the version it succeeds (``?based_on=<pk>``)."""
        initial = dict(super().get_changeform_initial_data(request))
        wanted = str(initial.get("based_on", ""))
        based_on = RuleSet.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
        if based_on is not None:
            initial["definition"] = based_on.definition
        return initial

    def get_urls(self) -> list[URLPattern]:
        review = path(
            "<int:pk>/review/",
            self.admin_site.admin_view(self.review_view),
            name="registry_ruleset_review",
        )
        return [review, *super().get_urls()]

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(APPROVE_PERMISSION):
            raise PermissionDenied
        rule_set = get_object_or_404(RuleSet, pk=pk)
        form = RuleSetReviewForm(request.POST or None, rule_set=rule_set)
        if request.method == "POST" and form.is_valid() and self._review(request, rule_set, form):
            return HttpResponseRedirect(reverse("admin:registry_ruleset_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts}
        context |= {"title": f"Review {rule_set.version}", "rule_set": rule_set}
        context["definition"] = json.dumps(rule_set.definition, indent=2)
        return TemplateResponse(request, "admin/registry/ruleset/review.html", context)

    def _review(self, request: HttpRequest, rule_set: RuleSet, form: RuleSetReviewForm) -> bool:
        user = _user(request)
        assert user is not None  # the admin requires a signed-in staff user
        data = form.cleaned_data
        try:
            if data["decision"] == "approve":
                rule_set_approve_with_run(
                    rule_set=rule_set, run=data["simulation"], user=user, reason=data["reason"]
                )
            else:
                rule_set_refuse(rule_set=rule_set, user=user, reason=data["reason"])
        except RuleSetRefused as exc:
            for field, reasons in exc.fields.items():
                target = field if field in form.fields else None
                for reason in reasons:
                    form.add_error(target, reason)
            return False
        self.message_user(request, f"{rule_set.version}: {data['decision']}d.", messages.SUCCESS)
        return True


# --------------------------------------------------------------------------------------
# Simulation runs
# --------------------------------------------------------------------------------------


class SimulationStartForm(forms.Form):
    date_from = forms.DateField(help_text="First decision date, YYYY-MM-DD.")
    date_to = forms.DateField(help_text="Last decision date, inclusive.")
    client = forms.CharField(max_length=80, required=False, help_text="One client's name.")
    purpose = forms.CharField(max_length=40, required=False, help_text="One loan purpose.")
    province = forms.CharField(max_length=40, required=False, help_text="One province.")
    rule_set = forms.ModelChoiceField(
        queryset=RuleSet.objects.exclude(status=RuleSet.Status.REFUSED), required=False
    )
    model = forms.ModelChoiceField(
        queryset=ModelVersion.objects.filter(status=ModelVersion.Status.READY),
        required=False,
        to_field_name="label",
    )
    as_of = forms.DateField(required=False, help_text="Apply the candidate as of this date.")

    def request(self) -> SimulationRequest:
        data = self.cleaned_data
        as_of: date | None = data["as_of"]
        return SimulationRequest(
            date_from=data["date_from"],
            date_to=data["date_to"],
            client=data["client"] or None,
            purpose=data["purpose"] or None,
            province=data["province"] or None,
            rule_set_id=data["rule_set"].pk if data["rule_set"] else None,
            model_label=data["model"].label if data["model"] else None,
            as_of=as_of,
        )


@admin.register(SimulationRun)
class SimulationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "stage", "progress_percent", "rule_set", "model_version"]
    list_display += ["requested_by", "created_at", "report_link"]
    list_filter = ["status"]
    list_select_related = ["rule_set", "model_version", "requested_by"]
    exclude = ["report"]
    show_full_result_count = False
    actions = ["cancel_runs"]
    change_list_template = "admin/policy/simulationrun/change_list.html"

    @admin.display(description="progress")
    def progress_percent(self, obj: SimulationRun) -> str:
        return f"{100 * obj.progress:.0f} %"

    @admin.display(description="report")
    def report_link(self, obj: SimulationRun) -> str:
        if obj.report is None:
            return "-"
        url = reverse("admin:policy_simulationrun_report", args=[obj.pk])
        return format_html('<a href="{}">Report</a>', url)

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CANCEL_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("start/", view(self.start_view), name="policy_simulationrun_start"),
            path("<int:pk>/report/", view(self.report_view), name="policy_simulationrun_report"),
            path("<int:pk>/report.csv", view(self.csv_view), name="policy_simulationrun_csv"),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(START_PERMISSION):
            raise PermissionDenied
        form = SimulationStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = simulation_run_start(request=form.request(), user=_user(request))
            except SimulationRefused as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Simulation {run.pk} queued.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:policy_simulationrun_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts}
        context["title"] = "Simulate a candidate policy on recorded decisions"
        return TemplateResponse(request, "admin/policy/simulationrun/start.html", context)

    def _run_with_report(self, request: HttpRequest, pk: int) -> SimulationRun:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(SimulationRun, pk=pk)
        if run.report is None:
            raise PermissionDenied("This run has no report.")
        return run

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self._run_with_report(request, pk)
        page = report_page(run.report)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "run": run}
        context |= {"title": f"Simulation {run.pk}: report", "page": page, "report": run.report}
        context["bars"] = mark_safe(page.bars_svg)  # noqa: S308 (built from numbers only)
        return TemplateResponse(request, "admin/policy/simulationrun/report.html", context)

    def csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self._run_with_report(request, pk)
        response = HttpResponse(report_csv(run.report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="simulation-{run.pk}.csv"'
        return response

    @admin.action(description="Cancel the selected runs", permissions=["cancel"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[SimulationRun]) -> None:
        for run in queryset[:100]:
            try:
                cancelled = simulation_run_cancel(run=run)
            except SimulationNotCancellable as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            self.message_user(request, f"Simulation {cancelled.pk}: cancel requested.")
