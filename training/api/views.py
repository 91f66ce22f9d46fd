"""Training runs over the API: start one, watch it. Signed-in model managers only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from training.api.serializers import TrainingRunSerializer, TrainingRunStartSerializer
from training.models import TrainingRun
from training.runs import training_run_start
from training.services import TrainingRefused

MANAGE_PERMISSION = "registry.add_modelversion"


class CanManageModels(permissions.BasePermission):
    """A signed-in user holding ``training.add_modelversion``; loan-system keys get 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if user and user.is_authenticated:
            return bool(user.has_perm(MANAGE_PERMISSION))
        if request.auth is not None:  # an API key: authenticated, but not a person
            return False
        raise exceptions.NotAuthenticated()


class TrainingRunListView(APIView):
    permission_classes = [CanManageModels]

    @extend_schema(request=TrainingRunStartSerializer, responses={201: TrainingRunSerializer})
    def post(self, request: Request) -> Response:
        incoming = TrainingRunStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        user = request.user if isinstance(request.user, User) else None
        try:
            run = training_run_start(
                data_path=data["data_path"],
                algorithm=data["algorithm"],
                params=data["params"],
                spec_path=data.get("spec_path"),
                requested_by=user,
            )
        except TrainingRefused as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from exc
        return Response(TrainingRunSerializer(run).data, status=status.HTTP_201_CREATED)


class TrainingRunDetailView(APIView):
    permission_classes = [CanManageModels]

    @extend_schema(responses={200: TrainingRunSerializer})
    def get(self, request: Request, run_id: int) -> Response:
        run = TrainingRun.objects.select_related("model_version", "requested_by").filter(pk=run_id)
        found = run.first()
        if found is None:
            raise exceptions.NotFound(f"No training run {run_id}.")
        return Response(TrainingRunSerializer(found).data)
