"""Scoring keeps no raw personal data: not in the audit rows, the idempotency rows or the logs."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core import serializers
from rest_framework.test import APIClient

from audit.crypto import decrypt_inputs
from audit.models import DecisionRecord
from registry.models import ModelVersion
from scoring import services as scoring_services
from scoring.models import IdempotencyRecord
from tests.scoring.support import VALID

PERSON = {
    "application_id": "LOS-ZQX-778899",
    "full_name": "Zulkarnaen Wicaksono Tjahjadi",
    "nik": "3273015708900007",
    "phone": "+62 813-9876-5432",
    "email": "zulkarnaen.tjahjadi@contoh.id",
    "address": "Jl. Kebon Sirih Raya No. 77, Menteng",
}
#: Every raw form that must never be stored or logged (the reference's last three
#: characters and the e-mail domain are part of the masks, so they are not listed).
RAW = [
    "LOS-ZQX-778899",
    "ZQX-778",
    "Zulkarnaen",
    "Wicaksono",
    "Tjahjadi",
    "3273015708920007",
    "32730157",
    "081398765432",
    "81398765432",
    "9876",
    "813-9876",
    "zulkarnaen.tjahjadi",
    "Kebon Sirih",
    "Menteng",
]


def stored_text() -> str:
    rows = [*DecisionRecord.objects.all(), *IdempotencyRecord.objects.all()]
    return str(serializers.serialize("json", rows))


def assert_absent(text: str) -> None:
    for raw in RAW:
        assert raw not in text, raw


@pytest.mark.parametrize("url", ["/api/v1/predict", "/api/v1/explain"])
def test_no_raw_identity_is_stored_or_logged(
    url: str, api: APIClient, champion: ModelVersion, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = api.post(url, {**VALID, **PERSON}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert response.status_code == 200
    assert response.json()["application_id"] == PERSON["application_id"]  # echoed, not kept
    assert api.post(url, {**VALID, **PERSON}, format="json", HTTP_IDEMPOTENCY_KEY="p-1")[
        "Idempotent-Replayed"
    ]
    assert DecisionRecord.objects.count() == IdempotencyRecord.objects.count() == 1
    assert_absent(stored_text())
    assert_absent(caplog.text)
    assert_absent(" ".join(str(record.args) for record in caplog.records))


def test_the_record_keeps_masks_and_keyed_digests_instead(
    api: APIClient, champion: ModelVersion
) -> None:
    api.post("/api/v1/predict", {**VALID, **PERSON}, format="json")
    record = DecisionRecord.objects.get()
    masked = record.application_masked
    assert masked["nik"] == "3273 **** **** **07"
    assert masked["initials"] == "Z.W.T."
    assert "full_name" not in masked
    assert "address" not in masked
    assert len(record.nik_digest) == len(record.phone_digest) == len(record.email_digest) == 64
    replay_inputs = decrypt_inputs(record.inputs_encrypted)
    assert not set(PERSON) & set(replay_inputs)
    assert_absent(str(replay_inputs))


def test_a_batch_stores_no_raw_identity(api: APIClient, champion: ModelVersion) -> None:
    body = {"applications": [{**VALID, **PERSON}, {**PERSON, "age": 5}]}
    response = api.post("/api/v1/predict/batch", body, format="json", HTTP_IDEMPOTENCY_KEY="p-2")
    assert response.status_code == 200
    assert_absent(stored_text())


def test_refusals_and_failures_do_not_echo_or_log_identity(
    api: APIClient,
    champion: ModelVersion,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    invalid = api.post("/api/v1/predict", {**VALID, **PERSON, "age": 5}, format="json")
    assert invalid.status_code == 400

    def refuse(**kwargs: Any) -> Any:
        from django.db import DatabaseError

        raise DatabaseError("insert failed")

    monkeypatch.setattr(scoring_services, "decision_records_create", refuse)
    failed = api.post("/api/v1/predict", {**VALID, **PERSON}, format="json")
    assert failed.status_code == 503
    assert_absent(invalid.content.decode() + failed.content.decode())
    assert_absent(caplog.text)
