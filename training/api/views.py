"""Training runs over the API: start one, list them, watch one; and make a version challenger.

Signed-in model managers only; loan-system keys get 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.errors import PromotionRefused
from registry.models import ModelVersion
from registry.services import model_version_make_challenger
from training.api.serializers import (
    ChallengerSerializer,
    MakeChallengerSerializer,
    TrainingRunSerializer,
    TrainingRunStartSerializer,
)
from training.models import TrainingRun
from training.runs import TrainingQueueUnavailable, training_run_start
from training.selectors import training_run_list
from training.services import TrainingRefused

MANAGE_PERMISSION = "registry.add_modelversion"
SWITCH_PERMISSION = "registry.change_modelversion"


class _SignedInWith(permissions.BasePermission):
    """A signed-in user holding ``permission``; loan-system keys get 403."""

    permission = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated:
            return bool(user.has_perm(self.permission))
        if request.auth is not None:  # an API key: authenticated, but not a person
            return False
        raise exceptions.NotAuthenticated()


class CanManageModels(_SignedInWith):
    """Train models: ``registry.add_modelversion``."""

    permission = MANAGE_PERMISSION


class CanSwitchModels(_SignedInWith):
    """Move the model aliases (as the admin's promotion does): ``registry.change_modelversion``."""

    permission = SWITCH_PERMISSION


class TrainingRunPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class QueueUnavailable(exceptions.APIException):
    """503: the task broker is down; no run was queued."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "queue_unavailable"
    default_detail = "The task queue is unavailable; the training run was not queued. Retry later."


def _user(request: Request) -> User | None:
    return request.user if isinstance(request.user, User) else None


class TrainingRunListView(APIView):
    permission_classes = [CanManageModels]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", enum=TrainingRun.Status.values, description="only runs in this state"
            ),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="at most 200; default 50"),
        ],
        responses={
            200: inline_serializer(
                name="TrainingRunPage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": TrainingRunSerializer(many=True),
                },
            )
        },
        summary="Training runs, newest first",
        operation_id="training_runs_list",
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in TrainingRun.Status.values:
            choices = ", ".join(TrainingRun.Status.values)
            raise exceptions.ValidationError({"status": [f"Must be one of: {choices}."]})
        pages = TrainingRunPages()
        page = pages.paginate_queryset(training_run_list(status=wanted), request, view=self)
        return pages.get_paginated_response(TrainingRunSerializer(page, many=True).data)

    @extend_schema(
        request=TrainingRunStartSerializer,
        responses={
            202: TrainingRunSerializer,
            503: OpenApiResponse(
                description="The task queue is unavailable (queue_unavailable): nothing queued."
            ),
        },
        summary="Queue a training run (answered at once; watch it by its id)",
    )
    def post(self, request: Request) -> Response:
        incoming = TrainingRunStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            run = training_run_start(
                data_path=data["data_path"],
                algorithm=data["algorithm"],
                params=data["params"],
                spec_path=data.get("spec_path"),
                requested_by=_user(request),
                engine=data["engine"],
            )
        except TrainingRefused as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
        except TrainingQueueUnavailable:
            raise QueueUnavailable() from None
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class TrainingRunDetailView(APIView):
    permission_classes = [CanManageModels]

    @extend_schema(responses={200: TrainingRunSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = TrainingRun.objects.select_related("model_version", "requested_by").filter(pk=run_id)
        found = run.first()
        if found is None:
            raise exceptions.NotFound(f"No training run {run_id}.")
        return Response(TrainingRunSerializer(found).data)


class ChallengerView(APIView):
    permission_classes = [CanSwitchModels]

    @extend_schema(
        request=MakeChallengerSerializer,
        responses={200: ChallengerSerializer},
        summary="Make a READY version the challenger (it scores in the champion's shadow)",
    )
    def post(self, request: Request, label: str) -> Response:
        incoming = MakeChallengerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if not ModelVersion.objects.filter(label=label).exists():
            raise exceptions.NotFound(f"No model version is labelled {label!r}.")
        try:
            version = model_version_make_challenger(
                label=label, by=_user(request), reason=incoming.validated_data["reason"]
            )
        except PromotionRefused as exc:
            raise exceptions.ValidationError({"label": [str(exc)]}) from exc
        body = {"alias": "challenger", "model_version": version.label}
        return Response(ChallengerSerializer(body).data)
