"""The compliance officer's read-only view of the audit trail.

Nothing here adds, changes or deletes an audit row, not even for a superuser. Look-ups by NIK,
phone or the lender's reference digest the typed term exactly as it was digested at write
time; the raw term is never stored, logged, or shown back (the search box is left empty).
"""

from __future__ import annotations

import calendar
import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.paginator import Paginator
from django.db.models import Max, Min, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from audit import exports, masking
from audit.access import audit_access_record
from audit.models import AuditAccess, AuditCheckpoint, DecisionRecord
from audit.selectors import RecordFilter, distinct_values, failed_rule_q
from credit_ml.charts import waterfall_svg
from registry.admin import ReadOnlyAdmin
from registry.models import RuleSet
from registry.selectors import model_version_schema

#: How many rows the changelist counts at most (the count is "at least" beyond this).
COUNT_CAP = 10_000
#: An export of a selection lists its request ids up to this many; beyond, the filter.
SELECTION_IDS_MAX = 1_000


class CappedCountPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows (``SELECT COUNT(*) FROM (... LIMIT n)``), never the
    whole table: on millions of rows the pages beyond the cap are reached by filtering."""

    @cached_property
    def count(self) -> int:
        return int(self.object_list.order_by()[:COUNT_CAP].count())  # type: ignore[attr-defined]


class IndexedValuesFilter(admin.SimpleListFilter):
    """Exact filter on a text column whose choices come from a loose index scan."""

    column = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, value) for value in distinct_values(self.column)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(**{self.column: value}) if value else queryset


class RiskGradeFilter(IndexedValuesFilter):
    title = "risk grade"
    parameter_name = "grade"
    column = "risk_grade"


class ModelLabelFilter(IndexedValuesFilter):
    title = "model version"
    parameter_name = "model"
    column = "model_label"


class ClientFilter(IndexedValuesFilter):
    title = "client"
    parameter_name = "client"
    column = "client_name"


class FailedRuleFilter(admin.SimpleListFilter):
    """Decisions where a given rule failed; the codes come from the stored rule sets."""

    title = "rule that fired"
    parameter_name = "rule"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes: dict[str, str] = {}
        for definition in RuleSet.objects.values_list("definition", flat=True):
            for rule in definition.get("rules", []):
                codes.setdefault(rule["code"], f"{rule['code']}: {rule['title_en']}")
        return sorted(codes.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(failed_rule_q(value)) if value else queryset


def search_token(term: str) -> str:
    """The typed term as digests only (request id, or reference.nik.phone HMACs)."""
    key = settings.KREDITAX_PII_KEY
    term = term.strip()
    with contextlib.suppress(ValueError):
        return str(uuid.UUID(term))
    ref = masking.pii_digest(masking.normalise("application_id", term), key=key)
    nik = masking.pii_digest(re.sub(r"[\s.-]", "", term), key=key)
    phone = "-"
    if re.fullmatch(r"\+?[\d\s().-]{6,}", term):
        phone = masking.pii_digest(masking.normalise_phone(term), key=key)
    return f"{ref}.{nik}.{phone}"


def token_q(token: str) -> Q:
    """Records matching a ``search_token``; a malformed token matches nothing."""
    with contextlib.suppress(ValueError):
        return Q(request_id=uuid.UUID(token))
    parts = token.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[0-9a-f]{64}|-", part) for part in parts):
        return Q(pk__in=[])
    ref, nik, phone = parts
    q = Q(application_ref_digest=ref) | Q(nik_digest=nik)
    return q | Q(phone_digest=phone) if phone != "-" else q


class IdentitySearchFilter(admin.SimpleListFilter):
    """Applies a search after ``changelist_view`` replaced the typed term by its digests."""

    title = "identity look-up"
    parameter_name = "qd"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, "the searched identity")] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(token_q(value)) if value else queryset


def _table(headers: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> SafeString:
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def _rule_state(result: Any) -> str:
    if not result["in_force"]:
        return "not in force"
    return "passed" if result["passed"] else "FAILED"


def _figure(value: float | None) -> str:
    """A rule's figure as recorded: whole numbers with separators, ratios to 4 places."""
    if value is None:
        return "-"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.4f}"


@admin.register(DecisionRecord)
class DecisionRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "request_id",
        "decision",
        "risk_grade",
        "credit_score",
        "model_label",
        "client_name",
    ]
    list_filter = [
        "decision",
        RiskGradeFilter,
        ModelLabelFilter,
        ClientFilter,
        FailedRuleFilter,
        IdentitySearchFilter,
    ]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50
    ordering = ["-created_at", "-id"]
    search_fields = ["request_id"]  # shows the box; get_search_results does the real work
    search_help_text = "Request id, the lender's application reference, NIK or phone number."
    actions = ["export_csv", "export_jsonl"]
    fieldsets = [
        (
            "Decision",
            {
                "fields": [
                    "request_id",
                    "created_at",
                    "decision_date",
                    "endpoint",
                    "client_name",
                    "decision",
                    "probability_of_default",
                    "credit_score",
                    "risk_grade",
                    "model_label",
                    "rule_set_version",
                ]
            },
        ),
        ("Why", {"fields": ["reasons_table", "policy_table", "counteroffer_text", "waterfall"]}),
        ("For whom (masked)", {"fields": ["application_table"]}),
        ("Integrity", {"fields": ["content_hash", "pii_key_id", "inputs_key_id"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DecisionRecord]:
        return super().get_queryset(request).defer("inputs_encrypted")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord], search_term: str
    ) -> tuple[QuerySet[DecisionRecord], bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(token_q(search_token(search_term))), False

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        links, back = date_links(changelist)
        changelist.audit_date_links = links  # type: ignore[attr-defined]
        changelist.audit_date_back = back  # type: ignore[attr-defined]
        return changelist

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        term = request.GET.get(SEARCH_VAR, "")
        if request.method == "GET" and term:
            # Swap the typed NIK/phone for its digests before anything renders or links it.
            params = request.GET.copy()
            del params[SEARCH_VAR]
            params[IdentitySearchFilter.parameter_name] = search_token(term)
            return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")
        return super().changelist_view(request, extra_context)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        sensitive = ("inputs_encrypted", "nik_digest", "phone_digest", "email_digest")
        if lookup.startswith((*sensitive, "application_ref_digest")):
            return False
        return super().lookup_allowed(lookup, value, request)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and isinstance(response, TemplateResponse):
            record = response.context_data["original"] if response.context_data else None
            if record is not None:
                audit_access_record(
                    user=request.user,
                    action=AuditAccess.Action.VIEW,
                    what={"request_id": str(record.request_id)},
                    row_count=1,
                )
        return response

    # --- the decision page -------------------------------------------------------------

    @admin.display(description="reasons")
    def reasons_table(self, obj: DecisionRecord) -> SafeString:
        rows = (
            (r.get("code"), r.get("text_en"), r.get("text_id"), r.get("contribution"))
            for r in obj.reasons
        )
        return _table(("code", "reason", "alasan", "log-odds"), rows)

    @admin.display(description="policy")
    def policy_table(self, obj: DecisionRecord) -> SafeString:
        rows = (
            (
                r["code"],
                _rule_state(r),
                _figure(r["actual"]),
                _figure(r["limit"]),
                r["effective_from"] or "-",
                r["message_en"],
                r["message_id"],
            )
            for r in obj.policy
        )
        headers = ("rule", "result", "actual", "limit", "in force from", "detail", "keterangan")
        return _table(headers, rows)

    @admin.display(description="counteroffer")
    def counteroffer_text(self, obj: DecisionRecord) -> str:
        return json.dumps(obj.counteroffer, sort_keys=True) if obj.counteroffer else "-"

    @admin.display(description="attribution (waterfall)")
    def waterfall(self, obj: DecisionRecord) -> SafeString:
        # waterfall_svg escapes every text it draws.
        schema = model_version_schema(version=obj.model_version)  # a lender's spec's labels
        return mark_safe(waterfall_svg(obj.attributions, schema=schema))  # noqa: S308

    @admin.display(description="application")
    def application_table(self, obj: DecisionRecord) -> SafeString:
        rows = (
            (name, "-" if value is None else value)
            for name, value in obj.application_masked.items()
        )
        return _table(("field", "value"), rows)

    # --- exports -----------------------------------------------------------------------

    def has_export_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("audit.export_decisionrecord"))

    def _selection_filter(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord]
    ) -> RecordFilter:
        ids = list(queryset.values_list("request_id", flat=True)[: SELECTION_IDS_MAX + 1])
        if len(ids) <= SELECTION_IDS_MAX:
            return RecordFilter(request_ids=tuple(sorted(str(i) for i in ids)))
        return changelist_filter(request.GET)

    def _export(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord], fmt: str
    ) -> StreamingHttpResponse:
        access, stream = exports.decision_records_export(
            record_filter=self._selection_filter(request, queryset), fmt=fmt, user=request.user
        )
        response = StreamingHttpResponse(stream, content_type=exports.FORMATS[fmt])
        response["Content-Disposition"] = (
            f'attachment; filename="kreditax-decisions-{access.pk}.{fmt}"'
        )
        response["X-Audit-Export-Id"] = str(access.pk)
        response["X-Audit-Manifest"] = reverse("admin:audit_export_manifest", args=[access.pk])
        return response

    @admin.action(description="Export selected as CSV (evidence)", permissions=["export"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord]
    ) -> StreamingHttpResponse:
        return self._export(request, queryset, "csv")

    @admin.action(description="Export selected as JSON Lines (evidence)", permissions=["export"])
    def export_jsonl(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord]
    ) -> StreamingHttpResponse:
        return self._export(request, queryset, "jsonl")

    def get_urls(self) -> list[URLPattern]:
        manifest = path(
            "export/<int:export_id>/manifest/",
            self.admin_site.admin_view(self.manifest_view),
            name="audit_export_manifest",
        )
        return [manifest, *super().get_urls()]

    def manifest_view(self, request: HttpRequest, export_id: int) -> JsonResponse:
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            return JsonResponse({"error": {"code": "permission_denied"}}, status=403)
        access = get_object_or_404(
            AuditAccess.objects.select_related("user"),
            pk=export_id,
            action=AuditAccess.Action.EXPORT,
        )
        response = JsonResponse(
            exports.export_manifest(access=access), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = (
            f'attachment; filename="kreditax-decisions-{export_id}.manifest.json"'
        )
        return response


def date_links(changelist: ChangeList) -> tuple[list[tuple[str, str]], bool]:
    """Year, month or day links for the date navigation, and whether the first goes back."""
    params = changelist.params
    year, month = params.get("created_at__year"), params.get("created_at__month")
    drill = ["created_at__year", "created_at__month", "created_at__day"]

    def url(**chosen: object) -> str:
        new = {f"created_at__{k}": v for k, v in chosen.items()}
        return str(changelist.get_query_string(new, [d for d in drill if d not in new]))

    if year and month:
        days = calendar.monthrange(int(str(year)), int(str(month)))[1]
        back = [(f"< {year}", url(year=year))]
        return back + [
            (f"{d}", url(year=year, month=month, day=d)) for d in range(1, days + 1)
        ], True
    if year:
        back = [("< all dates", url())]
        return back + [
            (calendar.month_abbr[m], url(year=year, month=m)) for m in range(1, 13)
        ], True
    span = DecisionRecord.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    if span["first"] is None:
        return [], False
    first, last = (timezone.localtime(span[k]).year for k in ("first", "last"))
    return [(str(y), url(year=y)) for y in range(last, first - 1, -1)], False


def changelist_filter(params: Any) -> RecordFilter:
    """The changelist's filters as a ``RecordFilter`` (for an export of "all N selected")."""
    year, month, day = (params.get(f"created_at__{part}") for part in ("year", "month", "day"))
    start = end = None
    if year:
        start = date(int(year), int(month or 1), int(day or 1))
        if day:
            end = start
        elif month:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        else:
            end = start.replace(month=12, day=31)
    return RecordFilter(
        start=start,
        end=end,
        decision=params.get("decision__exact") or None,
        model_version=params.get("model") or None,
        client=params.get("client") or None,
        risk_grade=params.get("grade") or None,
        rule=params.get("rule") or None,
    )


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = [
        "sequence",
        "created_at",
        "record_count",
        "first_record_id",
        "last_record_id",
        "checkpoint_hash",
    ]
    show_full_result_count = False
    paginator = CappedCountPaginator


@admin.register(AuditAccess)
class AuditAccessAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "action", "what_text", "row_count"]
    list_filter = ["action"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator

    @admin.display(description="what")
    def what_text(self, obj: AuditAccess) -> str:
        return json.dumps(obj.what, sort_keys=True)[:300]
