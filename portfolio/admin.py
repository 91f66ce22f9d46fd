"""Portfolio runs in the admin: the list (progress, rate, time left), a start page and a
cancel action. Rows are written by the services only."""

from __future__ import annotations

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

from portfolio.api.serializers import PortfolioRunStartSerializer
from portfolio.models import PortfolioRun
from portfolio.services import (
    PortfolioRefused,
    PortfolioRequest,
    PortfolioRunNotCancellable,
    portfolio_run_cancel,
    portfolio_run_start,
)
from registry.admin import ReadOnlyAdmin

START_PERMISSION = "portfolio.add_portfoliorun"
CANCEL_PERMISSION = "portfolio.change_portfoliorun"


class PortfolioRunStartForm(forms.Form):
    data_path = forms.CharField(
        max_length=1000, help_text="A file or folder in the data directory."
    )
    out_path = forms.CharField(max_length=1000, help_text="A new path in the portfolio directory.")
    model = forms.CharField(max_length=80, required=False, help_text="Default: the champion.")
    rule_set = forms.CharField(max_length=60, required=False, help_text="Default: fintech.")
    as_of = forms.DateField(required=False, help_text="YYYY-MM-DD; default: today.")

    def clean(self) -> dict[str, Any]:
        """The API's own path checks (inside the configured directories)."""
        cleaned = super().clean() or {}
        for name in ("data_path", "out_path"):
            if name in cleaned:
                checker = getattr(PortfolioRunStartSerializer(), f"validate_{name}")
                try:
                    cleaned[name] = checker(cleaned[name])
                except serializers.ValidationError as exc:
                    self.add_error(name, " ".join(map(str, exc.detail)))
        return cleaned


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(PortfolioRun)
class PortfolioRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "engine", "progress", "rate", "time_left", "model_version"]
    list_display += ["rule_set", "as_of", "rows_invalid", "requested_by", "created_at"]
    list_filter = ["status", "engine"]
    list_select_related = ["model_version", "rule_set", "requested_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["cancel_runs"]
    change_list_template = "admin/portfolio/portfoliorun/change_list.html"

    @admin.display(description="rows done")
    def progress(self, obj: PortfolioRun) -> str:
        return f"{obj.rows_done:,} of {obj.rows_total:,}"

    @admin.display(description="rows/s")
    def rate(self, obj: PortfolioRun) -> str:
        return f"{obj.rows_per_second:,.0f}"

    @admin.display(description="time left")
    def time_left(self, obj: PortfolioRun) -> str:
        left = obj.seconds_left
        return "-" if left is None else f"{left:,.0f} s"

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(CANCEL_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        start = path(
            "start/",
            self.admin_site.admin_view(self.start_view),
            name="portfolio_portfoliorun_start",
        )
        return [start, *super().get_urls()]

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(START_PERMISSION):
            raise PermissionDenied
        form = PortfolioRunStartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = self._start(request, form)
            if run is not None:
                self.message_user(request, f"Portfolio run {run.pk} queued.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:portfolio_portfoliorun_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.opts}
        context["title"] = "Start a portfolio run"
        return TemplateResponse(request, "admin/portfolio/portfoliorun/start.html", context)

    def _start(self, request: HttpRequest, form: PortfolioRunStartForm) -> PortfolioRun | None:
        data = form.cleaned_data
        try:
            return portfolio_run_start(
                request=PortfolioRequest(
                    data_path=data["data_path"],
                    out_path=data["out_path"],
                    model_label=data["model"] or None,
                    rule_set=data["rule_set"] or None,
                    as_of=data["as_of"],
                ),
                requested_by=_user(request),
            )
        except PortfolioRefused as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, exc.message)
            return None

    @admin.action(description="Cancel the selected runs", permissions=["cancel"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet[PortfolioRun]) -> None:
        for run_id in queryset.values_list("pk", flat=True)[:100]:
            try:
                run = portfolio_run_cancel(run_id=run_id, by=_user(request))
            except PortfolioRunNotCancellable as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            self.message_user(request, f"Portfolio run {run.pk}: {run.status}, cancel requested.")
