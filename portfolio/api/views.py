"""Portfolio runs over the API: start one, watch it, cancel it. Signed-in people holding the
portfolio permissions only (model managers; compliance officers may watch); loan-system
keys get 403."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portfolio.api.serializers import PortfolioRunSerializer, PortfolioRunStartSerializer
from portfolio.models import PortfolioRun
from portfolio.services import (
    PortfolioRefused,
    PortfolioRequest,
    PortfolioRunNotCancellable,
    portfolio_run_cancel,
    portfolio_run_start,
)

START_PERMISSION = "portfolio.add_portfoliorun"
VIEW_PERMISSION = "portfolio.view_portfoliorun"
CANCEL_PERMISSION = "portfolio.change_portfoliorun"


class _SignedInWith(permissions.BasePermission):
    """A signed-in user holding the method's permission; loan-system keys get 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated:
            return bool(user.has_perm(view.required_permission(request)))
        if request.auth is not None:  # an API key: authenticated, but not a person
            return False
        raise exceptions.NotAuthenticated()


def _user(request: Request) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _run(run_id: int) -> PortfolioRun:
    found = (
        PortfolioRun.objects.select_related("model_version", "rule_set", "requested_by")
        .filter(pk=run_id)
        .first()
    )
    if found is None:
        raise exceptions.NotFound(f"No portfolio run {run_id}.")
    return found


class PortfolioRunListView(APIView):
    permission_classes = [_SignedInWith]

    def required_permission(self, request: Request) -> str:
        return START_PERMISSION

    @extend_schema(
        request=PortfolioRunStartSerializer,
        responses={202: PortfolioRunSerializer},
        summary="Queue a portfolio scoring run (answered at once; watch it by its id)",
    )
    def post(self, request: Request) -> Response:
        incoming = PortfolioRunStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            run = portfolio_run_start(
                request=PortfolioRequest(
                    data_path=data["data_path"],
                    out_path=data["out_path"],
                    model_label=data.get("model"),
                    rule_set=data.get("rule_set"),
                    as_of=data.get("as_of"),
                ),
                requested_by=_user(request),
            )
        except PortfolioRefused as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from exc
        return Response(PortfolioRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class PortfolioRunDetailView(APIView):
    permission_classes = [_SignedInWith]

    def required_permission(self, request: Request) -> str:
        return VIEW_PERMISSION

    @extend_schema(
        responses={200: PortfolioRunSerializer},
        summary="A portfolio run: status, rows done of total, rows/s, time left, hashes",
    )
    def get(self, request: Request, portfolio_run_id: int) -> Response:
        return Response(PortfolioRunSerializer(_run(portfolio_run_id)).data)


class PortfolioRunCancelView(APIView):
    permission_classes = [_SignedInWith]

    def required_permission(self, request: Request) -> str:
        return CANCEL_PERMISSION

    @extend_schema(
        request=None,
        responses={200: PortfolioRunSerializer},
        summary="Cancel a portfolio run (a running one stops after its current chunk)",
    )
    def post(self, request: Request, portfolio_run_id: int) -> Response:
        _run(portfolio_run_id)
        try:
            run = portfolio_run_cancel(run_id=portfolio_run_id, by=_user(request))
        except PortfolioRunNotCancellable as exc:
            raise exceptions.ValidationError({"status": [str(exc)]}) from exc
        return Response(PortfolioRunSerializer(run).data)
