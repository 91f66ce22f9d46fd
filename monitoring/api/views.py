"""The monitoring report over the API, for signed-in risk managers (loan-system keys get 403).

``GET /api/v1/monitoring/report?from=YYYY-MM-DD&to=YYYY-MM-DD[&client=NAME][&model=LABEL]``
answers the JSON of ``monitoring_report --json``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from monitoring.selectors import MonitoringError, Period
from monitoring.services import monitoring_report

VIEW_PERMISSION = "monitoring.view_monitoringsnapshot"


class CanReadMonitoring(permissions.BasePermission):
    """A signed-in user holding ``monitoring.view_monitoringsnapshot``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated:
            return bool(user.has_perm(VIEW_PERMISSION))
        if request.auth is not None:  # an API key: authenticated, but not a person
            return False
        raise exceptions.NotAuthenticated()


class ReportQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The query: ``from`` (a Python keyword, hence declared below) and ``to``, both
    included; an optional client's name and model version label."""

    to = serializers.DateField(required=True)
    client = serializers.CharField(required=False, max_length=80)
    model = serializers.CharField(required=False, max_length=64)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {"from": serializers.DateField(required=True), **super().get_fields()}


class MonitoringReportView(APIView):
    permission_classes = [CanReadMonitoring]

    @extend_schema(
        summary="The monitoring report of a model version over a period",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("client", OpenApiTypes.STR),
            OpenApiParameter("model", OpenApiTypes.STR, description="default: the champion"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        query = ReportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values = query.validated_data
        if values["to"] < values["from"]:
            raise exceptions.ValidationError({"to": ["Must not be before from."]})
        try:
            report = monitoring_report(
                period=Period(values["from"], values["to"]),
                client=values.get("client"),
                model_label=values.get("model"),
            )
        except MonitoringError as exc:
            raise exceptions.ValidationError({"model": [str(exc)]}) from exc
        return Response(report.to_dict())
