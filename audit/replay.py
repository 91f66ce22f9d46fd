"""Replaying a recorded decision: the same inputs, model version, rule set and date.

The inputs are decrypted from the record (they never include identity fields), the model is
the RECORDED version (verified against its SHA-256 on load) and the rule set the RECORDED
version as stored; PD, score, decision and reasons must come out identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from audit import crypto
from audit.access import audit_access_record
from audit.crypto import AuditKeyError
from audit.models import AuditAccess, DecisionRecord
from credit_ml.artifacts import ArtifactError
from credit_ml.decision import decide
from credit_ml.policy import RuleSet as PolicyRuleSet
from registry.errors import ModelVersionNotReady
from registry.model_cache import version_model
from registry.models import RuleSet

COMPARED = ("probability_of_default", "credit_score", "decision", "reasons")


@dataclass(frozen=True)
class Difference:
    field: str
    recorded: Any
    replayed: Any


@dataclass(frozen=True)
class Replay:
    request_id: str
    model_label: str
    rule_set_version: str
    differences: tuple[Difference, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def decision_replay(*, request_id: str) -> Replay:
    """Score the recorded inputs again; raises ``DecisionRecord.DoesNotExist``,
    ``RuleSet.DoesNotExist`` or ``crypto.AuditKeyError`` when that is impossible."""
    record = DecisionRecord.objects.select_related("model_version").get(request_id=request_id)
    stored = RuleSet.objects.get(version=record.rule_set_version)
    model = version_model(record.model_version)
    replayed = decide(
        model,
        crypto.decrypt_inputs(record.inputs_encrypted),
        rule_set=PolicyRuleSet.from_dict(stored.definition),
        on=record.decision_date,
        schema=model.schema,  # as scoring decided: a lender's spec collects its own fields
    )
    now = {
        "probability_of_default": replayed.probability_of_default,
        "credit_score": replayed.credit_score,
        "decision": replayed.decision,
        "reasons": _json([reason.to_dict() for reason in replayed.reasons]),
    }
    differences = tuple(
        Difference(name, getattr(record, name), now[name])
        for name in COMPARED
        if _json(getattr(record, name)) != now[name]
    )
    return Replay(str(record.request_id), record.model_label, stored.version, differences)


#: Why a replay can be impossible: the rule set is not stored, the inputs' key is gone, or
#: the recorded model version's artifact is missing or does not verify.
REPLAY_ERRORS = (RuleSet.DoesNotExist, AuditKeyError, ModelVersionNotReady, ArtifactError)


def decision_replay_logged(*, request_id: str, user: AbstractBaseUser | AnonymousUser) -> Replay:
    """``decision_replay`` by a person, logged as a REPLAY access with its outcome
    (``identical``, ``differs`` or ``failed``; a failure is re-raised after logging)."""
    what: dict[str, Any] = {"request_id": request_id}
    try:
        replay = decision_replay(request_id=request_id)
    except REPLAY_ERRORS:
        audit_access_record(
            user=user,
            action=AuditAccess.Action.REPLAY,
            what={**what, "outcome": "failed"},
            row_count=1,
        )
        raise
    outcome = "identical" if replay.identical else "differs"
    audit_access_record(
        user=user, action=AuditAccess.Action.REPLAY, what={**what, "outcome": outcome}, row_count=1
    )
    return replay
