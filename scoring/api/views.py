"""Thin API views: parse, call one service or selector, render."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api_keys import api_client_of
from registry.models import ModelVersion
from registry.selectors import model_version_list
from scoring import selectors, services
from scoring.api import schema_docs as docs
from scoring.api.auth import CanReviewDecisions, CanScore, CanViewModelCards
from scoring.api.errors import ApiError
from scoring.api.parsers import StrictBatchJSONParser, StrictJSONParser
from scoring.api.request_id import decision_request_id
from scoring.api.throttling import RateLimitHeaders, ScoringRateThrottle

#: An Idempotency-Key: 1 to 200 visible ASCII characters (a UUID, a ULID, base64, the loan
#: system's own reference), no spaces; the schema says what the server enforces.
IDEMPOTENCY_KEY_PATTERN = "^[!-~]{1,200}$"
_IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)
IDEMPOTENCY_KEY_RULE = "Must be 1 to 200 visible ASCII characters (no spaces)."
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 200, "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat a request safely: the same key and body return the first response. "
    + IDEMPOTENCY_KEY_RULE,
)


def _actor(request: Request) -> services.Actor:
    return services.actor_of(client=api_client_of(request), user=request.user)


def request_lang(request: Request) -> str:
    """The language of the messages: of ``id`` and ``en`` in ``Accept-Language``, the one
    with the highest q-value (the first on a tie); English for anything else."""
    best, best_q = "en", 0.0
    for part in request.headers.get("Accept-Language", "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in ("id", "en") and q > best_q:
            best, best_q = lang, q
    return best


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise ApiError(
            status_code=400,
            code="invalid_idempotency_key",
            message="The Idempotency-Key header is invalid.",
            fields={"Idempotency-Key": [IDEMPOTENCY_KEY_RULE]},
        )
    return key


def _respond(result: services.ScoringResult) -> Response:
    """200 with the body; a replayed first answer says so in ``Idempotent-Replayed``."""
    response = Response(result.body, status=status.HTTP_200_OK)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class PredictView(RateLimitHeaders, APIView):
    permission_classes = [CanScore]
    throttle_classes = [ScoringRateThrottle]
    parser_classes = [StrictJSONParser]
    endpoint = services.Endpoint.PREDICT

    @extend_schema(**docs.predict_docs(), parameters=[IDEMPOTENCY])
    def post(self, request: Request) -> Response:
        result = services.application_score(
            payload=request.data,
            actor=_actor(request),
            endpoint=self.endpoint,
            idempotency_key=_idempotency_key(request),
            request_id=decision_request_id(),
            lang=request_lang(request),
        )
        return _respond(result)


class ExplainView(PredictView):
    endpoint = services.Endpoint.EXPLAIN

    @extend_schema(**docs.explain_docs(), parameters=[IDEMPOTENCY])
    def post(self, request: Request) -> Response:
        return super().post(request)


class BatchView(RateLimitHeaders, APIView):
    permission_classes = [CanScore]
    throttle_classes = [ScoringRateThrottle]
    parser_classes = [StrictBatchJSONParser]

    @extend_schema(**docs.batch_docs(), parameters=[IDEMPOTENCY])
    def post(self, request: Request) -> Response:
        result = services.applications_score_batch(
            payload=request.data,
            actor=_actor(request),
            idempotency_key=_idempotency_key(request),
            lang=request_lang(request),
        )
        return _respond(result)


class WaterfallView(APIView):
    permission_classes = [CanScore | CanReviewDecisions]

    @extend_schema(
        responses={(200, "image/svg+xml"): bytes}, summary="Waterfall chart of a decision"
    )
    def get(self, request: Request, request_id: str) -> HttpResponse:
        svg = services.decision_waterfall_svg(request_id=request_id, actor=_actor(request))
        return HttpResponse(svg, content_type="image/svg+xml")


class HealthView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(**docs.health_docs())
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadyView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(**docs.ready_docs())
    def get(self, request: Request) -> Response:
        problems = selectors.readiness()
        if problems:
            return Response(
                {"status": "unavailable", "problems": problems},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ready"})


class ModelListView(APIView):
    permission_classes = [CanScore | CanViewModelCards]

    @extend_schema(**docs.models_docs())
    def get(self, request: Request) -> Response:
        versions = model_version_list().filter(status=ModelVersion.Status.READY)[:100]
        return Response({"models": [selectors.model_card(version=v) for v in versions]})


class ModelDetailView(APIView):
    permission_classes = [CanScore | CanViewModelCards]

    @extend_schema(**docs.model_docs())
    def get(self, request: Request, label: str) -> Response:
        version = model_version_list().filter(label=label).first()
        if version is None:
            raise ApiError(
                status_code=404, code="not_found", message=f"No model version {label!r}."
            )
        return Response(selectors.model_card(version=version))
