"""The audit-log API: list, one decision, and evidence exports (with their manifests)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import exports
from audit.access import audit_access_record
from audit.api.permissions import CanExportAudit, CanViewAudit
from audit.api.serializers import (
    DecisionRecordDetailSerializer,
    DecisionRecordSerializer,
    ExportQuerySerializer,
    RecordFilterSerializer,
)
from audit.models import AuditAccess, DecisionRecord
from audit.selectors import decision_records


class NewestFirst(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")

    @classmethod
    def parameters(cls) -> list[OpenApiParameter]:
        return [
            OpenApiParameter("cursor", str, description="The `next` or `previous` link's cursor."),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1},
                description=f"Records per page: {cls.page_size} unless given; at most "
                f"{cls.max_page_size} (more is read as {cls.max_page_size}).",
            ),
        ]

    @staticmethod
    def page_of(item: type[serializers.Serializer[Any]], name: str) -> Any:
        """A page as answered: links to the next and previous pages (or null), the items."""
        return inline_serializer(
            name=name,
            fields={
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": item(many=True),
            },
        )


class FormatIsAFilter(DefaultContentNegotiation):
    """``?format=csv`` picks the export's format here, not a DRF renderer."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


class AuditLogView(APIView):
    permission_classes = [CanViewAudit]

    @extend_schema(
        operation_id="audit_log_list",
        summary="Decision records, newest first (cursor pages; compliance users only)",
        parameters=[RecordFilterSerializer, *NewestFirst.parameters()],
        responses={200: NewestFirst.page_of(DecisionRecordSerializer, "DecisionRecordPage")},
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        query = RecordFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        record_filter = query.record_filter()
        paginator = NewestFirst()
        page = paginator.paginate_queryset(
            decision_records(record_filter=record_filter).defer("inputs_encrypted"), request, self
        )
        rows = page or []
        audit_access_record(
            user=request.user,
            action=AuditAccess.Action.API_VIEW,
            what={"filter": record_filter.to_dict()},
            row_count=len(rows),
        )
        return paginator.get_paginated_response(DecisionRecordSerializer(rows, many=True).data)


class AuditRecordView(APIView):
    permission_classes = [CanViewAudit]

    @extend_schema(
        operation_id="audit_log_detail",
        summary="One decision record by request id",
        responses={200: DecisionRecordDetailSerializer},
        tags=["audit"],
    )
    def get(self, request: Request, request_id: Any) -> Response:
        record = get_object_or_404(
            DecisionRecord.objects.defer("inputs_encrypted"), request_id=request_id
        )
        audit_access_record(
            user=request.user,
            action=AuditAccess.Action.API_VIEW,
            what={"request_id": str(record.request_id)},
            row_count=1,
        )
        return Response(DecisionRecordDetailSerializer(record).data)


class AuditExportView(APIView):
    permission_classes = [CanExportAudit]
    content_negotiation_class = FormatIsAFilter

    @extend_schema(
        operation_id="audit_log_export",
        summary="Export a filtered set as CSV or JSON Lines (streamed); see X-Audit-Manifest",
        parameters=[ExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
        },
        tags=["audit"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data.pop("format")
        access, stream = exports.decision_records_export(
            record_filter=query.record_filter(), fmt=fmt, user=request.user
        )
        response = StreamingHttpResponse(stream, content_type=exports.FORMATS[fmt])
        stamp = timezone.localtime(access.created_at).strftime("%Y%m%d-%H%M%S")
        name = f"kreditax-decisions-{stamp}-{access.pk}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Audit-Export-Id"] = str(access.pk)
        response["X-Audit-Manifest"] = request.build_absolute_uri(
            reverse("audit_api:export-manifest", kwargs={"export_id": access.pk})
        )
        return response


class AuditExportManifestView(APIView):
    permission_classes = [CanExportAudit]

    @extend_schema(
        operation_id="audit_log_export_manifest",
        summary="The manifest of an export: filter, row count, SHA-256, verify_audit result",
        responses={200: OpenApiResponse(description="The export manifest")},
        tags=["audit"],
    )
    def get(self, request: Request, export_id: int) -> Response:
        access = get_object_or_404(
            AuditAccess.objects.select_related("user"),
            pk=export_id,
            action=AuditAccess.Action.EXPORT,
        )
        return Response(exports.export_manifest(access=access))
