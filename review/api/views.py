"""The review API: a decision's status and history, objections, resolving a case."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.api.views import FormatIsAFilter
from audit.models import DecisionRecord
from registry.api_keys import api_client_of
from review import letters, selectors, services
from review.api.serializers import (
    ApproveSerializer,
    DecisionStatusSerializer,
    LetterApplicantSerializer,
    LetterQuerySerializer,
    ObjectionSerializer,
    ResolveSerializer,
)
from review.errors import (
    CaseConflict,
    CaseNotFound,
    HardRuleNotOverridable,
    ObjectionWindowClosed,
    ReviewError,
    StepRefused,
)
from review.letters import Applicant

VIEW_DECISIONS = "audit.view_decisionrecord"
RESOLVE_CASES = "review.resolve_reviewcase"
APPROVE_CASES = "review.approve_reviewcase"

#: The review services' errors as HTTP (the first class that matches wins).
STATUS_OF: tuple[tuple[type[ReviewError], int], ...] = (
    (CaseNotFound, status.HTTP_404_NOT_FOUND),
    (CaseConflict, status.HTTP_409_CONFLICT),
    (StepRefused, status.HTTP_403_FORBIDDEN),
    (HardRuleNotOverridable, status.HTTP_409_CONFLICT),
    (ObjectionWindowClosed, status.HTTP_409_CONFLICT),
    (ReviewError, status.HTTP_400_BAD_REQUEST),
)

ERROR = OpenApiResponse(description='{"error": {"code", "message", "fields"}}')


def error_response(exc: ReviewError) -> Response:
    code = next(code for cls, code in STATUS_OF if isinstance(exc, cls))
    body = {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}
    return Response(body, status=code)


def _signed_in(request: Request) -> Any:
    user = request.user
    if not user or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user


class ClientOrReviewer(permissions.BasePermission):
    """A loan system's key (its own decisions), or a signed-in user who may read decisions."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return True
        return bool(_signed_in(request).has_perm(VIEW_DECISIONS))


class ClientOnly(permissions.BasePermission):
    """A loan system's key: objections come from the loan system that asked."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return True
        _signed_in(request)
        return False


class CreditOfficer(permissions.BasePermission):
    """A signed-in user who may resolve cases; a loan system's key is not a person."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return False
        return bool(_signed_in(request).has_perm(RESOLVE_CASES))


def decision_for(request: Request, request_id: Any) -> DecisionRecord:
    """The decision, if the caller may see it: another client's is 404 (not 403), so that a
    loan system cannot learn which request ids exist."""
    record = DecisionRecord.objects.defer("inputs_encrypted").filter(request_id=request_id).first()
    client = api_client_of(request)
    if record is None or (client is not None and record.client_id != client.pk):
        raise exceptions.NotFound()
    return record


class DecisionStatusView(APIView):
    permission_classes = [ClientOrReviewer]

    @extend_schema(
        operation_id="decision_status",
        summary="A decision's final outcome now, any open review case and its history",
        description=(
            "For the loan system that asked (its API key) and for signed-in compliance users "
            "and credit officers. The final decision is the last effective event's (a "
            "resolution that took effect), else the recorded one. Another client's decision "
            "is 404. Officers' notes and names are shown to signed-in people only."
        ),
        responses={200: DecisionStatusSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
        tags=["review"],
    )
    def get(self, request: Request, request_id: Any) -> Response:
        record = decision_for(request, request_id)
        for_people = api_client_of(request) is None
        return Response(selectors.decision_status(record=record, for_people=for_people))


class ObjectionView(APIView):
    permission_classes = [ClientOnly]

    @extend_schema(
        operation_id="decision_objection",
        summary="The applicant objects to an automated decision (UU PDP Art. 10)",
        description=(
            "Opens an objection case with its deadline (KREDITAX_OBJECTION_HOURS, 72 by "
            "default); a credit officer decides it. `statement` is the applicant's own words: "
            "kept only encrypted, never logged. A second objection while a case is open on the "
            "decision is 409 naming that case; another client's decision is 404. The outcome "
            "reaches the loan system through GET /api/v1/decisions/{request_id}."
        ),
        request=ObjectionSerializer,
        responses={201: DecisionStatusSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        examples=[OpenApiExample("statement", value={"statement": "Penghasilan saya naik."})],
        tags=["review"],
    )
    def post(self, request: Request, request_id: Any) -> Response:
        record = decision_for(request, request_id)
        body = ObjectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = api_client_of(request)
        assert client is not None  # ClientOnly
        try:
            services.objection_open(
                record=record,
                actor=f"client:{client.name}",
                statement=body.validated_data.get("statement") or None,
            )
        except ReviewError as exc:
            return error_response(exc)
        status_body = selectors.decision_status(record=record, for_people=False)
        return Response(status_body, status=status.HTTP_201_CREATED)


class ResolveView(APIView):
    permission_classes = [CreditOfficer]

    @extend_schema(
        operation_id="review_case_resolve",
        summary="A credit officer resolves a review case",
        description=(
            "APPROVE, REJECT or APPROVE_COUNTEROFFER with a reason code from the catalogue "
            "(KREDITAX_REVIEW_REASON_CODES) and a note (encrypted). A resolution against the "
            "model (APPROVE where the model or a rule said REJECT, or the reverse) waits for a "
            "second credit officer's approval (status AWAITING_APPROVAL). An OJK rule in force "
            "that failed cannot be overridden: 409 naming the rule."
        ),
        request=ResolveSerializer,
        responses={200: DecisionStatusSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        tags=["review"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            case = services.case_resolve(
                case_id=case_id,
                user=request.user,
                decision=data["decision"],
                reason_code=data["reason_code"],
                note=data["note"],
            )
        except ReviewError as exc:
            return error_response(exc)
        return Response(selectors.decision_status(record=case.decision, for_people=True))


LETTER_PARAMS = [
    OpenApiParameter(
        "lang", str, enum=["id", "en"], description="Bahasa Indonesia (default) or English"
    ),
    OpenApiParameter("format", str, enum=["html", "pdf"], description="html (default) or pdf"),
]
LETTER_RESPONSES = {
    (200, "text/html"): OpenApiTypes.STR,
    (200, "application/pdf"): OpenApiTypes.BINARY,
    400: ERROR,
    404: ERROR,
}
LETTER_DESCRIPTION = (
    "A letter to the applicant: the final decision, at most four reasons as sentences with "
    "their figures, the counteroffer, how and by when to object, the lender's name and "
    "contact (KREDITAX_LENDER_NAME, KREDITAX_LENDER_CONTACT). The PDF embeds its font. The "
    "letter's SHA-256 (also in the X-Letter-SHA256 header) and template version are recorded "
    "as an event on the decision's audit trail."
)


class LetterView(APIView):
    permission_classes = [ClientOrReviewer]
    content_negotiation_class = FormatIsAFilter

    def _issue(
        self, request: Request, request_id: Any, applicant: Applicant | None
    ) -> HttpResponse:
        record = decision_for(request, request_id)
        query = LetterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        client = api_client_of(request)
        actor = f"client:{client.name}" if client else f"user:{request.user.get_username()}"
        letter = letters.decision_letter_issue(
            record=record,
            lang=query.validated_data["lang"],
            fmt=query.validated_data["format"],
            actor=actor,
            applicant=applicant,
        )
        response = HttpResponse(letter.content, content_type=letter.media_type)
        response["X-Letter-SHA256"] = letter.sha256
        return response

    @extend_schema(
        operation_id="decision_letter",
        summary="The decision letter, addressed by the application reference",
        description=LETTER_DESCRIPTION,
        parameters=LETTER_PARAMS,
        responses=LETTER_RESPONSES,
        tags=["review"],
    )
    def get(self, request: Request, request_id: Any) -> HttpResponse:
        return self._issue(request, request_id, None)

    @extend_schema(
        operation_id="decision_letter_addressed",
        summary="The decision letter, addressed to the applicant named in the body",
        description=LETTER_DESCRIPTION + " The name and address are used for this letter only.",
        parameters=LETTER_PARAMS,
        request=LetterApplicantSerializer,
        responses=LETTER_RESPONSES,
        tags=["review"],
    )
    def post(self, request: Request, request_id: Any) -> HttpResponse:
        decision_for(request, request_id)  # 404 before a word of the body is read
        body = LetterApplicantSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        applicant = Applicant(
            name=body.validated_data["applicant_name"],
            address=body.validated_data["applicant_address"],
        )
        return self._issue(request, request_id, applicant)


class CanApprove(permissions.BasePermission):
    """A signed-in user who may approve another officer's override."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if api_client_of(request) is not None:
            return False
        return bool(_signed_in(request).has_perm(APPROVE_CASES))


class ApproveView(APIView):
    permission_classes = [CanApprove]

    @extend_schema(
        operation_id="review_case_approve",
        summary="A second credit officer approves or refuses an override",
        description=(
            "For a case AWAITING_APPROVAL: `approve: true` makes the proposed resolution take "
            "effect, `false` sends the case back to the officer who proposed it. Nobody "
            "approves their own override (403)."
        ),
        request=ApproveSerializer,
        responses={200: DecisionStatusSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["review"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            case = services.case_approve(
                case_id=case_id,
                user=request.user,
                approve=body.validated_data["approve"],
                note=body.validated_data["note"],
            )
        except ReviewError as exc:
            return error_response(exc)
        return Response(selectors.decision_status(record=case.decision, for_people=True))
