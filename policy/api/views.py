"""Simulations over the API: start one on recorded decisions, list them, read one's report.

Signed-in credit-policy managers only (``policy.add_simulationrun`` to start,
``policy.view_simulationrun`` to read); loan-system keys get 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.permissions import CanViewAudit
from policy.api.serializers import SimulationRunSerializer, SimulationStartSerializer
from policy.selectors import simulation_run_list
from policy.services import SimulationRefused, simulation_run_start
from policy.simulation import SimulationRequest
from registry.models import RuleSet
from registry.selectors import rule_set_by_version


class CanSimulate(CanViewAudit):
    """A signed-in user who may read simulations and, to POST, start them."""

    def has_permission(self, request: Request, view: Any) -> bool:
        self.required = ("policy.view_simulationrun",)
        if request.method == "POST":
            self.required = ("policy.add_simulationrun",)
        return super().has_permission(request, view)


class SimulationPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _user(request: Request) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _simulation_request(data: dict[str, Any]) -> SimulationRequest:
    rule_set_id = None
    if data.get("rule_set"):
        try:
            rule_set_id = rule_set_by_version(name=data["rule_set"], version=data["version"]).pk
        except RuleSet.DoesNotExist as exc:
            raise exceptions.ValidationError({"version": [str(exc)]}) from exc
    return SimulationRequest(
        date_from=data["date_from"],
        date_to=data["date_to"],
        client=data.get("client") or None,
        purpose=data.get("purpose") or None,
        province=data.get("province") or None,
        rule_set_id=rule_set_id,
        model_label=data.get("model") or None,
        as_of=data.get("as_of"),
    )


class SimulationListView(APIView):
    permission_classes = [CanSimulate]

    @extend_schema(
        responses={200: SimulationRunSerializer(many=True)}, summary="Simulations, newest first"
    )
    def get(self, request: Request) -> Response:
        pages = SimulationPages()
        page = pages.paginate_queryset(simulation_run_list(), request, view=self)
        return pages.get_paginated_response(SimulationRunSerializer(page, many=True).data)

    @extend_schema(
        request=SimulationStartSerializer,
        responses={202: SimulationRunSerializer},
        summary="Queue a what-if simulation of a candidate rule set and/or model version",
    )
    def post(self, request: Request) -> Response:
        incoming = SimulationStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            run = simulation_run_start(
                request=_simulation_request(incoming.validated_data), user=_user(request)
            )
        except SimulationRefused as exc:
            raise exceptions.ValidationError(exc.fields) from exc
        return Response(SimulationRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SimulationDetailView(APIView):
    permission_classes = [CanSimulate]

    @extend_schema(
        responses={200: SimulationRunSerializer}, summary="One simulation and its report"
    )
    def get(self, request: Request, simulation_id: int) -> Response:
        found = simulation_run_list().filter(pk=simulation_id).first()
        if found is None:
            raise exceptions.NotFound(f"No simulation {simulation_id}.")
        return Response(SimulationRunSerializer(found).data)
