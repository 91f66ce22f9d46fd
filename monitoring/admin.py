"""The risk manager's pages: the monitoring dashboard (from snapshots), the snapshots, and
the alerts with their acknowledgement (a note; alerts are never deleted)."""

from __future__ import annotations

import csv
import json
from datetime import date
from html import escape
from io import StringIO
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from monitoring.dashboard import Dashboard, Panel, dashboard_labels, monitoring_dashboard
from monitoring.models import ALL_CLIENTS, MonitoringAlert, MonitoringSnapshot
from monitoring.snapshots import AlertAcknowledgeRefused, alert_acknowledge
from registry.admin import ReadOnlyAdmin
from registry.selectors import champion_version


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@admin.register(MonitoringSnapshot)
class MonitoringSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["day", "model_label", "client_label", "decisions", "approval", "score_psi"]
    list_filter = ["model_label", "client_name"]
    date_hierarchy = "day"
    show_full_result_count = False
    exclude = ["report", "series"]
    readonly_fields = ["report_json"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # The list never shows the reports: leave them in the database.
        return super().get_queryset(request).defer("report", "series")

    @admin.display(description="client", ordering="client_name")
    def client_label(self, obj: MonitoringSnapshot) -> str:
        return obj.client_name or "all clients"

    @admin.display(description="approval rate")
    def approval(self, obj: MonitoringSnapshot) -> str:
        rate = obj.approval_rate
        return "no data" if rate is None else f"{rate:.1%}"

    @admin.display(description="report")
    def report_json(self, obj: MonitoringSnapshot) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.report, indent=2))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [
            path("dashboard/", view, name="monitoring_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        labels, clients = dashboard_labels()
        champion = champion_version()
        default = champion.label if champion else (labels[0] if labels else "")
        board = monitoring_dashboard(
            model_label=request.GET.get("model") or default,
            client=request.GET.get("client", ALL_CLIENTS),
            start=_day(request.GET.get("from")),
            end=_day(request.GET.get("to")),
        )
        wanted = request.GET.get("csv")
        if wanted:
            return _csv(board, wanted)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Monitoring dashboard",
            "board": board,
            "labels": labels,
            "clients": clients,
            # The SVG is built on the server with every text escaped (credit_ml.monitoring_charts).
            "panels": [(p, mark_safe(p.svg), _table(p)) for p in board.panels],  # noqa: S308
            "open_alerts": MonitoringAlert.objects.filter(acknowledged_at__isnull=True).count(),
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(
            request, "admin/monitoring/monitoringsnapshot/dashboard.html", context
        )


#: Rows shown beside a plot (the CSV has them all).
SHOWN_ROWS = 200


def _cell(value: Any) -> str:
    return escape(f"{value:.4f}" if isinstance(value, float) else str(value))


def _table(panel: Panel) -> SafeString:
    """The panel's numbers as an HTML table, every cell escaped (built here rather than in
    the template: a template loop over thousands of cells costs more than the page budget)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in panel.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>"
        for row in panel.rows[:SHOWN_ROWS]
    )
    return mark_safe(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")  # noqa: S308


def _csv(board: Dashboard, key: str) -> HttpResponse:
    panel = board.panel(key)
    if panel is None:
        return HttpResponse("No such panel.", status=404, content_type="text/plain")
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(panel.columns)
    writer.writerows(panel.rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"monitoring-{board.model_label}-{key}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class AcknowledgedFilter(admin.SimpleListFilter):
    title = "acknowledged"
    parameter_name = "acknowledged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Open"), ("yes", "Acknowledged")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        return queryset


@admin.register(MonitoringAlert)
class MonitoringAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "subject", "value", "threshold", "day", "status"]
    list_filter = [AcknowledgedFilter, "kind"]
    list_select_related = ["snapshot"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("snapshot__report", "snapshot__series")

    show_full_result_count = False
    readonly_fields = [
        "kind",
        "subject",
        "value",
        "threshold",
        "message",
        "snapshot",
        "created_at",
        "acknowledged_by",
        "acknowledged_at",
        "acknowledgement",
    ]
    fields = tuple(readonly_fields)

    @admin.display(description="day", ordering="snapshot__day")
    def day(self, obj: MonitoringAlert) -> str:
        client = obj.snapshot.client_name or "all clients"
        return f"{obj.snapshot.day} {obj.snapshot.model_label} ({client})"

    @admin.display(description="status")
    def status(self, obj: MonitoringAlert) -> str:
        return "acknowledged" if obj.acknowledged_at else "open"

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("monitoring.acknowledge_monitoringalert")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {
            **(extra_context or {}),
            "can_acknowledge": self.has_acknowledge_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.acknowledge_view)
        return [
            path("<int:pk>/acknowledge/", view, name="monitoring_alert_acknowledge"),
            *super().get_urls(),
        ]

    def acknowledge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_acknowledge_permission(request):
            raise PermissionDenied
        return _acknowledge_post(request, pk)


@require_POST
def _acknowledge_post(request: HttpRequest, pk: int) -> HttpResponse:
    url = reverse("admin:monitoring_monitoringalert_change", args=[pk])
    if not MonitoringAlert.objects.filter(pk=pk).exists():
        return HttpResponse("No such alert.", status=404, content_type="text/plain")
    try:
        alert_acknowledge(alert_id=pk, user=request.user, note=request.POST.get("note", ""))  # type: ignore[arg-type]
    except AlertAcknowledgeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert acknowledged.")
    return HttpResponseRedirect(url)
