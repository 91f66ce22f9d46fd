"""The compliance officer's read-only view of the audit trail.

Nothing here adds, changes or deletes an audit row, not even for a superuser. Look-ups by NIK,
phone or the lender's reference digest the typed term exactly as it was digested at write
time; the raw term is never stored, logged, or shown back (the search box is left empty): the
page says what was searched for in its masked form ("NIK 3171 **** **** **01"), which is
also what the access log records.

The decision list fits a 1366 px screen with its default columns (``tests/audit/
test_admin.py`` estimates the width): short request ids, times in the configured zone, the
PD and the first failed rule; the navigation sidebar is left out on this one page.
"""

from __future__ import annotations

import calendar
import contextlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
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
from django.views.decorators.http import require_POST

from audit import exports, masking
from audit.access import audit_access_record
from audit.events import audit_event_secret, audit_events_of, final_decision
from audit.models import (
    AuditAccess,
    AuditCheckpoint,
    DecisionRecord,
    Outcome,
    PortfolioRunRecord,
)
from audit.replay import REPLAY_ERRORS, decision_replay_logged
from audit.selectors import RecordFilter, distinct_values, failed_rule_q
from audit.services import content_hash, portfolio_run_content_hash
from credit_ml.charts import waterfall_svg
from credit_ml.policy import RuleResultDict
from registry.admin import ReadOnlyAdmin
from registry.models import RuleSet
from registry.selectors import model_version_schema

#: How many rows the changelist counts at most (the count is "at least" beyond this).
COUNT_CAP = 10_000
#: An export of a selection lists its request ids up to this many; beyond, the filter.
SELECTION_IDS_MAX = 1_000
#: Client names longer than this are cut in the list (the full name is its tooltip).
CLIENT_CHARS = 16
#: The parameter carrying what an identity search looked for, masked (``qd`` has digests).
MASK_VAR = "qm"
#: What ``search_label`` produces: a kind, then a masked value or a request id.
_LABEL = re.compile(r"(NIK|phone|reference|request id) [\w *+.@/:-]{1,64}")
_PHONE = re.compile(r"\+?[\d\s().-]{6,}")


if TYPE_CHECKING:  # generic in django-stubs only
    _Paginator = Paginator[Any]
else:
    _Paginator = Paginator


class CappedCountPaginator(_Paginator):
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
    if _PHONE.fullmatch(term):
        phone = masking.pii_digest(masking.normalise_phone(term), key=key)
    return f"{ref}.{nik}.{phone}"


def search_label(term: str) -> str:
    """What the typed term looks like, masked as the records show it: ``NIK 3171 **** ****
    **01``, ``phone 6281****90``, ``reference ***123`` or ``request id <uuid>``."""
    term = term.strip()
    with contextlib.suppress(ValueError):
        return f"request id {uuid.UUID(term)}"
    digits = re.sub(r"[\s.-]", "", term)
    if re.fullmatch(r"\d{16}", digits):
        return f"NIK {masking.mask_nik(digits)}"
    if _PHONE.fullmatch(term):
        return f"phone {masking.mask_phone(term)}"
    return f"reference {masking.mask_reference(term)}"


def shown_label(value: str | None) -> str | None:
    """A ``search_label`` taken back from the URL, or ``None`` for anything else."""
    return value if value and _LABEL.fullmatch(value) else None


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

    def __init__(
        self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any
    ) -> None:
        # The masked label belongs to this filter: taken out so it is no field look-up.
        shown = params.pop(MASK_VAR, None)
        self.label = shown_label(shown[-1] if isinstance(shown, list) else shown)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, self.label or "the searched identity")] if value else []

    def choices(self, changelist: Any) -> Iterator[Any]:
        everything, *rest = super().choices(changelist)
        # "All" drops the masked label together with the digests.
        everything["query_string"] = changelist.get_query_string(
            remove=[self.parameter_name, MASK_VAR]
        )
        yield from (everything, *rest)

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


def _rule_state(result: RuleResultDict) -> str:
    """A recorded rule result's state (records before ``state`` existed: from ``in_force``
    and ``passed``); a rule not checked that counted as failed says so."""
    if result.get("state") == "not_checked":
        return "not checked" if result["passed"] else "not checked: FAILED"
    if not result["in_force"]:
        return "not in force"
    return "passed" if result["passed"] else "FAILED"


def _contribution(reason: Any) -> Any:
    """A model factor's log-odds, or "rule" for a failed rule's reason (it has none)."""
    value = reason.get("contribution")
    return "rule" if value is None and "contribution" in reason else value


def _figure(value: float | None) -> str:
    """A rule's figure as recorded: whole numbers with separators, ratios to 4 places."""
    if value is None:
        return "-"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.4f}"


def local_time(value: datetime) -> str:
    """``2026-03-02 09:00 WIB``: the time in the configured zone, with the zone's name."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def breakable(code: str) -> SafeString:
    """A rule code that may wrap after its underscores (``OJK_<wbr>MAX_<wbr>...``)."""
    return format_html_join(mark_safe("_<wbr>"), "{}", ((part,) for part in code.split("_")))


@admin.register(DecisionRecord)
class DecisionRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "created",
        "short_request_id",
        "decision",
        "grade",
        "score",
        "pd",
        "first_failed_rule",
        "version",
        "client_short",
    ]
    list_display_links = ["short_request_id"]
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
    change_form_template = "admin/audit/decisionrecord/change_form.html"
    fieldsets = [
        (
            "Decision",
            {
                "fields": [
                    "request_id",
                    "created",
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
        (
            "After the decision: review, objections, letters",
            {"fields": ["final_outcome", "history_table"]},
        ),
        (
            "Integrity",
            {"fields": ["verification", "content_hash", "pii_key_id", "inputs_key_id"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DecisionRecord]:
        return super().get_queryset(request).defer("inputs_encrypted")

    # --- the list ----------------------------------------------------------------------

    @admin.display(description="time", ordering="created_at")
    def created(self, obj: DecisionRecord) -> SafeString:
        return format_html('<span class="nowrap">{}</span>', local_time(obj.created_at))

    @admin.display(description="request")
    def short_request_id(self, obj: DecisionRecord) -> SafeString:
        full = str(obj.request_id)
        return format_html('<span title="{}">{}</span>', full, full[:8])

    @admin.display(description="grade", ordering="risk_grade")
    def grade(self, obj: DecisionRecord) -> str:
        return obj.risk_grade

    @admin.display(description="score", ordering="credit_score")
    def score(self, obj: DecisionRecord) -> int:
        return obj.credit_score

    @admin.display(description="PD", ordering="probability_of_default")
    def pd(self, obj: DecisionRecord) -> str:
        return f"{obj.probability_of_default:.4f}"

    @admin.display(description="failed rule")
    def first_failed_rule(self, obj: DecisionRecord) -> SafeString | str:
        return breakable(obj.failed_rules[0]) if obj.failed_rules else "-"

    @admin.display(description="model", ordering="model_label")
    def version(self, obj: DecisionRecord) -> str:
        return obj.model_label

    @admin.display(description="client", ordering="client_name")
    def client_short(self, obj: DecisionRecord) -> SafeString:
        name = obj.client_name
        shown = name if len(name) <= CLIENT_CHARS else f"{name[: CLIENT_CHARS - 1]}\u2026"
        return format_html('<span title="{}">{}</span>', name, shown)

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
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        term = request.GET.get(SEARCH_VAR, "")
        if request.method == "GET" and term:
            return self._search_redirect(request, term)
        exporting = request.method == "POST" and request.POST.get("action") in self.actions
        if exporting and not self.has_export_permission(request):
            raise PermissionDenied  # rather than "No action selected"
        searched = IdentitySearchFilter.parameter_name in request.GET
        context = {
            # The navigation sidebar would leave the list too narrow on a laptop.
            "is_nav_sidebar_enabled": False,
            "identity_search": shown_label(request.GET.get(MASK_VAR)) if searched else None,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def _search_redirect(self, request: HttpRequest, term: str) -> HttpResponse:
        """Swap the typed NIK/phone for its digests before anything renders or links it; the
        page shows, and the access log records, only what was searched for, masked."""
        token, label = search_token(term), search_label(term)
        audit_access_record(
            user=request.user,
            action=AuditAccess.Action.SEARCH,
            what={"search": label},
            row_count=DecisionRecord.objects.filter(token_q(token))[:COUNT_CAP].count(),
        )
        params = request.GET.copy()
        del params[SEARCH_VAR]
        params[IdentitySearchFilter.parameter_name] = token
        params[MASK_VAR] = label
        return HttpResponseRedirect(f"{request.path}?{params.urlencode()}")

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
        context = {"can_replay": self.has_replay_permission(request), **(extra_context or {})}
        response = super().change_view(request, object_id, form_url, context)
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

    @admin.display(description="content hash check")
    def verification(self, obj: DecisionRecord) -> SafeString:
        """The SHA-256 of the record's content computed now, against the one it was written
        with (``verify_audit`` does the same for every record and the checkpoint chain)."""
        if content_hash(obj) == obj.content_hash:
            return format_html('<strong class="{}">verified</strong>', "verified")
        return format_html(
            '<strong class="{}">DOES NOT VERIFY</strong>: the record changed after it was '
            "written; run <code>verify_audit</code>.",
            "errornote",
        )

    @admin.display(description="reasons")
    def reasons_table(self, obj: DecisionRecord) -> SafeString:
        rows = (
            (r.get("code"), r.get("text_en"), r.get("text_id"), _contribution(r))
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

    @admin.display(description="final decision")
    def final_outcome(self, obj: DecisionRecord) -> str:
        """The last effective event's decision (a resolution that took effect), else the
        recorded one."""
        return final_decision(record=obj, events=list(audit_events_of(record=obj)))

    @admin.display(description="history")
    def history_table(self, obj: DecisionRecord) -> SafeString | str:
        """Every event after the decision, oldest first, with the officers' notes (this page
        is for compliance users and credit officers; notes are decrypted only here)."""
        events = list(audit_events_of(record=obj))
        if not events:
            return "-"
        rows = (
            (
                e.sequence,
                timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M %Z"),
                e.kind,
                e.actor_name,
                json.dumps(e.payload, sort_keys=True),
                audit_event_secret(e) or "-",
            )
            for e in events
        )
        return _table(("#", "time", "event", "by", "facts", "note"), rows)

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
    ) -> HttpResponseRedirect:
        """Pin and log the export, then show its page: the file and its manifest, a click
        each (a streamed download would leave the manifest's address in a header only)."""
        access, _ = exports.decision_records_export(
            record_filter=self._selection_filter(request, queryset), fmt=fmt, user=request.user
        )
        return HttpResponseRedirect(reverse("admin:audit_export", args=[access.pk]))

    @admin.action(description="Export selected as CSV (evidence)", permissions=["export"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord]
    ) -> HttpResponseRedirect:
        return self._export(request, queryset, "csv")

    @admin.action(description="Export selected as JSON Lines (evidence)", permissions=["export"])
    def export_jsonl(
        self, request: HttpRequest, queryset: QuerySet[DecisionRecord]
    ) -> HttpResponseRedirect:
        return self._export(request, queryset, "jsonl")

    def get_urls(self) -> list[URLPattern]:
        def view(function: Any, route: str, name: str) -> URLPattern:
            return cast(URLPattern, path(route, self.admin_site.admin_view(function), name=name))

        return [
            view(self.export_view, "export/<int:export_id>/", "audit_export"),
            view(self.download_view, "export/<int:export_id>/download/", "audit_export_download"),
            view(self.manifest_view, "export/<int:export_id>/manifest/", "audit_export_manifest"),
            view(self.replay_view, "<int:pk>/replay/", "audit_decisionrecord_replay"),
            *super().get_urls(),
        ]

    def _own_export(self, request: HttpRequest, export_id: int) -> AuditAccess:
        """An export made by this user: only its author fetches the file again (anyone who
        may export may read any export's manifest)."""
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        access = get_object_or_404(AuditAccess, pk=export_id, action=AuditAccess.Action.EXPORT)
        if access.user_id != request.user.pk:
            raise PermissionDenied
        return access

    def export_view(self, request: HttpRequest, export_id: int) -> HttpResponse:
        access = self._own_export(request, export_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Export {access.pk}",
            "export": access,
            "exported_at": local_time(access.created_at),
            "download_url": reverse("admin:audit_export_download", args=[access.pk]),
            "manifest_url": reverse("admin:audit_export_manifest", args=[access.pk]),
        }
        return TemplateResponse(request, "admin/audit/decisionrecord/export.html", context)

    def download_view(self, request: HttpRequest, export_id: int) -> StreamingHttpResponse:
        access = self._own_export(request, export_id)
        fmt = access.what["format"]
        response = StreamingHttpResponse(
            exports.export_file(access=access), content_type=exports.FORMATS[fmt]
        )
        response["Content-Disposition"] = (
            f'attachment; filename="kreditax-decisions-{access.pk}.{fmt}"'
        )
        response["X-Audit-Export-Id"] = str(access.pk)
        response["X-Audit-Manifest"] = reverse("admin:audit_export_manifest", args=[access.pk])
        return response

    def manifest_view(self, request: HttpRequest, export_id: int) -> JsonResponse:
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
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

    # --- replay ------------------------------------------------------------------------

    def has_replay_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.has_perm("audit.view_decisionrecord")) and bool(
            user.has_perm("audit.replay_decisionrecord")
        )

    def replay_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST: score the record's inputs again with its model version, rule set and date,
        and show whether everything came out identical (logged as a REPLAY access)."""
        if not self.has_replay_permission(request):
            raise PermissionDenied
        return _replay_post(request, self, pk)


@require_POST
def _replay_post(request: HttpRequest, model_admin: DecisionRecordAdmin, pk: int) -> HttpResponse:
    record = get_object_or_404(DecisionRecord.objects.only("request_id"), pk=pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Replay of {record.request_id}",
        "record": record,
        "record_url": reverse("admin:audit_decisionrecord_change", args=[record.pk]),
    }
    try:
        context["replay"] = decision_replay_logged(
            request_id=str(record.request_id), user=request.user
        )
    except REPLAY_ERRORS as exc:
        context["problem"] = replay_problem(exc)
    return TemplateResponse(request, "admin/audit/decisionrecord/replay.html", context)


def replay_problem(exc: Exception) -> str:
    """Why a replay could not run, for people."""
    if isinstance(exc, RuleSet.DoesNotExist):
        return "The rule set version this decision used is not stored."
    return str(exc)


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
    list_display = ["created", "user", "action", "what_text", "row_count", "manifest"]
    list_filter = ["action"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator

    @admin.display(description="time", ordering="created_at")
    def created(self, obj: AuditAccess) -> str:
        return local_time(obj.created_at)

    @admin.display(description="what")
    def what_text(self, obj: AuditAccess) -> str:
        return json.dumps(obj.what, sort_keys=True)[:300]

    @admin.display(description="evidence")
    def manifest(self, obj: AuditAccess) -> SafeString | str:
        if obj.action != AuditAccess.Action.EXPORT:
            return "-"
        url = reverse("admin:audit_export_manifest", args=[obj.pk])
        return format_html('<a href="{}">manifest</a>', url)


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = [
        "request_id",
        "months_on_book",
        "collectibility",
        "days_past_due",
        "defaulted",
        "observed_at",
        "imported_at",
    ]
    list_filter = ["collectibility", "defaulted"]
    date_hierarchy = "observed_at"
    show_full_result_count = False


@admin.register(PortfolioRunRecord)
class PortfolioRunRecordAdmin(ReadOnlyAdmin):
    list_display = ["created", "run_id", "status", "model_version", "rule_set", "as_of", "rows"]
    list_display += ["invalid", "input_sha256", "output_sha256", "verifies"]
    list_filter = ["status", "engine"]
    list_select_related = ["model_version", "rule_set"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = CappedCountPaginator

    @admin.display(description="time", ordering="created_at")
    def created(self, obj: PortfolioRunRecord) -> str:
        return local_time(obj.created_at)

    @admin.display(description="record")
    def verifies(self, obj: PortfolioRunRecord) -> str:
        ok = portfolio_run_content_hash(obj) == obj.content_hash
        return "verified" if ok else "DOES NOT VERIFY"
