"""OpenAPI documentation of the scoring API (drf-spectacular).

The request serializer is generated from the application schema so that the docs show every
field's type, bounds and values; validation itself is ``credit_ml.schema.validate_record``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

from credit_ml.identity import IDENTITY_PATTERNS
from credit_ml.schema import INDONESIAN_SCHEMA, ApplicationSchema, FieldSpec
from scoring.examples import EXAMPLE_APPLICATION

EXAMPLE_DECISION: dict[str, Any] = {
    "request_id": "2f1c9a40-5c55-4b59-9a8e-0d4e8d2f7b11",
    "application_id": "LOS-2026-000123",
    "model_version": "xgboost-20261124-051200-a3f9",
    "rule_set_version": "fintech-2026.1",
    "scored_at": "2026-11-24T12:00:00+07:00",
    "probability_of_default": 0.041237,
    "credit_score": 711,
    "risk_grade": "B",
    "decision": "APPROVE",
    "reasons": [
        {
            "code": "DELINQUENCIES_LOW",
            "field": "past_delinquencies",
            "value_id": "0",
            "value_en": "0",
            "contribution": -0.412,
            "text_id": "Tidak ada riwayat tunggakan (0) menurunkan risiko",
            "text_en": "No past delinquencies (0) lowered the risk",
        }
    ],
    "policy": {
        "passed": True,
        "decision_date": "2026-11-24",
        "rules": [
            {
                "code": "OJK_MAX_REPAYMENT_TO_INCOME",
                "kind": "max_dsr",
                "in_force": True,
                "passed": True,
                "actual": 0.329,
                "limit": 0.3,
                "effective_from": "2026-01-01",
                "message_id": "...",
                "message_en": "...",
            }
        ],
    },
    "counteroffer": None,
}

ERROR_EXAMPLE = OpenApiExample(
    "Invalid field",
    value={
        "error": {
            "code": "invalid",
            "message": "The application is invalid.",
            "fields": {
                "monthly_income": ["Must be a finite number (NaN and Infinity are not allowed)."]
            },
        }
    },
    response_only=True,
    status_codes=["400"],
)


def _field(spec: FieldSpec) -> serializers.Field[Any, Any, Any, Any]:
    common: dict[str, Any] = {
        "required": spec.required,
        "allow_null": not spec.required,
        "help_text": f"{spec.label_en} ({spec.label_id}). {spec.unit.value}".strip(),
    }
    if spec.choices:
        return serializers.ChoiceField(choices=spec.choices, **common)
    if spec.dtype == "str":
        return serializers.CharField(max_length=spec.max_length, **common)
    if spec.dtype == "int":
        return serializers.IntegerField(
            min_value=None if spec.minimum is None else int(spec.minimum),
            max_value=None if spec.maximum is None else int(spec.maximum),
            **common,
        )
    return serializers.FloatField(min_value=spec.minimum, max_value=spec.maximum, **common)


@cache
def application_serializer(
    schema: ApplicationSchema = INDONESIAN_SCHEMA,
) -> serializers.Serializer[Any]:
    fields = {spec.name: _field(spec) for spec in schema.fields}
    return inline_serializer(name="Application", fields=fields)


@cache
def error_serializer() -> serializers.Serializer[Any]:
    return inline_serializer(
        name="Error",
        fields={
            "error": inline_serializer(
                name="ErrorBody",
                fields={
                    "code": serializers.CharField(),
                    "message": serializers.CharField(),
                    "fields": serializers.DictField(
                        child=serializers.ListField(child=serializers.CharField())
                    ),
                },
            )
        },
    )


def _error_responses() -> dict[int, OpenApiResponse]:
    error = error_serializer()
    described = {
        400: "Invalid input: `fields` names each field and the reason.",
        401: "No, invalid, revoked or expired API key.",
        403: "Authenticated but not allowed to score.",
        409: "The Idempotency-Key was used with another body.",
        413: "The body is over the size limit.",
        415: "The body is not JSON.",
        503: "No champion model, or the decision could not be recorded: no decision given.",
    }
    return {code: OpenApiResponse(error, description=text) for code, text in described.items()}


@cache
def _decision_serializer() -> serializers.Serializer[Any]:
    return inline_serializer(
        name="Decision",
        fields={
            "request_id": serializers.UUIDField(),
            "application_id": serializers.CharField(allow_null=True),
            "model_version": serializers.CharField(),
            "rule_set_version": serializers.CharField(),
            "scored_at": serializers.DateTimeField(),
            "probability_of_default": serializers.FloatField(),
            "credit_score": serializers.IntegerField(help_text="250 to 900, higher is better"),
            "risk_grade": serializers.ChoiceField(choices=["A", "B", "C", "D", "E"]),
            "decision": serializers.ChoiceField(choices=["APPROVE", "REVIEW", "REJECT"]),
            "reasons": serializers.ListField(child=serializers.DictField(), max_length=4),
            "policy": serializers.DictField(),
            "counteroffer": serializers.DictField(allow_null=True),
        },
    )


def predict_docs() -> dict[str, Any]:
    return {
        "summary": "Score one loan application",
        "description": (
            "Rules first (a failed hard rule means REJECT), then the model version's PD "
            "thresholds. The decision is recorded in the audit trail before the response."
        ),
        "request": application_serializer(),
        "responses": {200: _decision_serializer(), **_error_responses()},
        "examples": [
            OpenApiExample("Application", value=EXAMPLE_APPLICATION, request_only=True),
            OpenApiExample(
                "Decision", value=EXAMPLE_DECISION, response_only=True, status_codes=["200"]
            ),
            ERROR_EXAMPLE,
        ],
        "tags": ["scoring"],
    }


def explain_docs() -> dict[str, Any]:
    docs = predict_docs()
    docs["summary"] = "Score one application with its full attribution and a waterfall chart"
    return docs


def batch_docs() -> dict[str, Any]:
    return {
        "summary": "Score up to 1,000 applications",
        "description": "Each item is validated on its own; results come in input order.",
        "request": inline_serializer(
            name="Batch",
            fields={
                "applications": serializers.ListField(
                    child=application_serializer(), max_length=1000
                )
            },
        ),
        "responses": {
            200: OpenApiResponse(description="Results in input order."),
            **_error_responses(),
        },
        "tags": ["scoring"],
    }


def health_docs() -> dict[str, Any]:
    return {
        "summary": "Liveness",
        "responses": {200: OpenApiResponse(description="Alive")},
        "tags": ["operations"],
    }


def ready_docs() -> dict[str, Any]:
    return {
        "summary": "Readiness: database reachable and champion loaded",
        "responses": {
            200: OpenApiResponse(description="Ready"),
            503: OpenApiResponse(description="Not ready"),
        },
        "tags": ["operations"],
    }


def models_docs() -> dict[str, Any]:
    return {
        "summary": "Model cards of READY versions",
        "responses": {200: OpenApiResponse(description="Model cards")},
        "tags": ["models"],
    }


def model_docs() -> dict[str, Any]:
    return {
        "summary": "The model card of one version",
        "responses": {200: OpenApiResponse(description="Model card")},
        "operation_id": "model_card",
        "tags": ["models"],
    }


# --------------------------------------------------------------------------------------
# The champion's application schema in the OpenAPI document
# --------------------------------------------------------------------------------------

_JSON_TYPES = {"int": "integer", "float": "number", "str": "string"}
#: Text the server takes: no control characters (``scoring.api.parsers``); a required field
#: not blank (surrounding spaces are ignored).
TEXT = r"^[^\x00-\x1f\x7f]*$"
NON_BLANK_TEXT = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"


def text_pattern(spec: FieldSpec) -> str:
    """The ``pattern`` of a free-text field: the identity fields' own form, else ``TEXT``."""
    return IDENTITY_PATTERNS.get(spec.name) or (NON_BLANK_TEXT if spec.required else TEXT)


def application_json_schema(schema: ApplicationSchema) -> dict[str, Any]:
    """The OpenAPI schema of one application under ``schema`` (types, bounds, values)."""
    properties: dict[str, Any] = {}
    for spec in schema.fields:
        prop: dict[str, Any] = {
            "type": _JSON_TYPES[spec.dtype],
            "description": f"{spec.label_en} ({spec.label_id}). {spec.unit.value}".strip(),
        }
        if spec.choices:
            prop["enum"] = list(spec.choices)
        if spec.max_length is not None:
            prop["maxLength"] = spec.max_length
        if spec.dtype == "str" and not spec.choices:
            prop["pattern"] = text_pattern(spec)
        if spec.minimum is not None:
            prop["minimum"] = spec.minimum
        if spec.maximum is not None:
            prop["maximum"] = spec.maximum
        if not spec.required:
            prop["nullable"] = True
        properties[spec.name] = prop
    required = [spec.name for spec in schema.fields if spec.required]
    return {
        "type": "object",
        "description": f"An application under schema {schema.version}.",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _serving_schema() -> ApplicationSchema:
    from registry import model_cache

    try:
        return model_cache.champion().model.schema
    except Exception:  # no champion, no database (e.g. `spectacular` at build time)
        return INDONESIAN_SCHEMA


def champion_application_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the champion's fields.

    A champion trained on a lender's dataset spec accepts that lender's fields; the
    document served at /api/schema/ shows them (the built-in schema when none is loaded).
    """
    components = result.get("components", {}).get("schemas", {})
    if "Application" in components:
        components["Application"] = application_json_schema(_serving_schema())
    return result
