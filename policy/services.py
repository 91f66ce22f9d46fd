"""What-if simulation of a candidate policy on recorded decisions, and rule-set approval.

``simulate`` re-decides the recorded decisions of a period twice, on the batch decision
path: first each under its RECORDED model version and rule set on its decision date (the
replay fidelity: every decision must come out as recorded; a mismatch is listed), then under
the candidate (a rule-set version, a READY model version, or both; on each decision date
unless ``as_of``). Inputs are decrypted chunk by chunk (a worker process decrypting ahead
for a large period), records are grouped by (model, rule set, date) and each group is
replayed as soon as its records are decrypted, in one ``decide_outcomes_each`` call
(``decide_many``'s rules, encoding and PD, without the explanations the report does not
use) that decides the group under the candidate too: no per-record loop around the model,
one reading of the inputs for both passes, one model pass where the candidate keeps the
model, one rules evaluation where it keeps the rule set and date.

A simulation reads the audit trail and writes only its ``SimulationRun`` (status, stage,
progress, report). Runs are queued (``simulation_run_start``: a Celery task on commit, or a
background thread without a broker) or executed in-process (``simulate_policy --json``),
and can be cancelled between stages.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import crypto
from audit.outcomes import outcome_defaulted_by_request
from credit_ml.artifacts import ArtifactError
from credit_ml.decision import OutcomePass, Outcomes, decide_outcomes_each
from credit_ml.policy import RuleSet as PolicyRuleSet
from credit_ml.scoring import ScoringModel
from policy.models import SimulationRun
from policy.selectors import RecordedRows, simulation_records
from policy.simulation import Columns, Mismatch, SimulationReport, SimulationRequest
from registry.errors import ModelVersionNotReady
from registry.model_cache import version_model
from registry.models import ModelVersion, RuleSet
from registry.rule_sets import SimulationEvidence, definition_sha256, rule_set_approve
from registry.runs import Heartbeat, stale_runs_reap
from registry.selectors import rule_set_policy

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Status = SimulationRun.Status

#: ``progress(stage, fraction)``: may raise ``SimulationCancelled`` to stop the run.
Progress = Callable[[str, float], None]

#: The longest period one simulation may cover, in days.
MAX_PERIOD_DAYS = 366


class SimulationRefused(ValueError):
    """The request was refused and nothing was written; ``fields``: field -> reasons."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items()))


class SimulationCancelled(Exception):
    """Someone asked to cancel the run; raised from the progress callback."""


class SimulationNotCancellable(ValueError):
    """The run has already finished; nothing was written."""


@dataclass(frozen=True)
class Candidate:
    """What the candidate changes: the rule set (row and parsed), the model version."""

    rule_set: RuleSet | None
    policy: PolicyRuleSet | None
    model_version: ModelVersion | None


def _no_progress(stage: str, fraction: float) -> None:
    return None


# --------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------


def simulation_candidate(*, request: SimulationRequest) -> Candidate:
    """The candidate of a request, checked; ``SimulationRefused`` names what is wrong."""
    problems: dict[str, list[str]] = {}
    if request.date_to < request.date_from:
        problems["date_to"] = ["is before date_from"]
    elif (request.date_to - request.date_from).days >= MAX_PERIOD_DAYS:
        problems["date_to"] = [f"the period may cover at most {MAX_PERIOD_DAYS} days"]
    rule_set = None
    if request.rule_set_id is not None:
        rule_set = RuleSet.objects.filter(pk=request.rule_set_id).first()
        if rule_set is None or rule_set.status == RuleSet.Status.REFUSED:
            problems["rule_set"] = ["no draft or published rule set has this id"]
    version = None
    if request.model_label:
        version = ModelVersion.objects.filter(label=request.model_label).first()
        if version is None or version.status != ModelVersion.Status.READY:
            problems["model"] = [f"{request.model_label!r} is not a READY model version"]
    if problems:
        raise SimulationRefused(problems)
    policy = rule_set_policy(rule_set=rule_set) if rule_set is not None else None
    return Candidate(rule_set, policy, version)


def simulate(*, request: SimulationRequest, progress: Progress = _no_progress) -> SimulationReport:
    """The report of ``request`` (see the module docstring). Raises ``SimulationRefused``
    for a bad request and ``SimulationCancelled`` when ``progress`` does."""
    candidate = simulation_candidate(request=request)
    progress("reading recorded decisions", 0.05)
    rows = simulation_records(request=request)
    columns = simulation_columns(
        rows,
        candidate=candidate,
        as_of=request.as_of,
        rule_sets=_stored_rule_sets(set(rows.rule_set_versions)),
        load_model=_version_model,
        progress=progress,
    )
    progress("reporting", 0.9)
    ids = [uuid.UUID(str(request_id)) for request_id in rows.request_ids]
    outcomes = {str(k): v for k, v in outcome_defaulted_by_request(ids).items()}
    return SimulationReport.build(columns, outcomes=outcomes)


def simulation_columns(
    rows: RecordedRows,
    *,
    candidate: Candidate,
    as_of: date | None,
    rule_sets: Mapping[str, PolicyRuleSet],
    load_model: Callable[[int], ScoringModel | None],
    progress: Progress = _no_progress,
) -> Columns:
    """The report's columns of recorded ``rows``: their inputs decrypted, replayed under
    the recorded rule sets (``rule_sets`` by version) and models (``load_model`` by
    version id), and decided under ``candidate``. No database access of its own.

    The inputs are decrypted chunk by chunk (``crypto.decrypt_chunks``: for a large period
    a worker process decrypts ahead on the other core), and each group of the replay is
    replayed as soon as its records are decrypted, so decryption and the model passes
    overlap."""
    engine = _Engine(
        rows, candidate=candidate, as_of=as_of, rule_sets=rule_sets, load_model=load_model
    )
    progress("decrypting inputs", 0.1)

    def replayed(fraction: float) -> None:
        progress("replaying under the recorded policy and the candidate", 0.2 + 0.7 * fraction)

    done = 0
    with closing(crypto.decrypt_chunks(rows.tokens)) as chunks:  # stops its worker at once
        for chunk in chunks:
            engine.take(done, chunk)
            done += len(chunk)
            engine.replay_through(done, replayed)
    engine.inputs_read()
    return engine.columns


def _version_model(version_id: int) -> ScoringModel | None:
    """The verified model of a version, or None when it cannot be loaded."""
    try:
        return version_model(ModelVersion.objects.get(pk=version_id))
    except (ModelVersion.DoesNotExist, ModelVersionNotReady, ArtifactError):
        logger.warning("simulation: model version %s cannot be loaded", version_id)
        return None


#: (model version id, rule-set version, date) -> positions of the records of that group.
_Groups = dict[tuple[int, str, date], list[int]]


class _Engine:
    """Both passes over one set of recorded rows, filling the report's columns.

    Each group of records (model version, rule-set version, decision date) is decided once
    under its recorded model and rule set (the fidelity check) and once under the
    candidate, in one ``decide_outcomes_each`` call, as soon as its records are decrypted:
    one reading of the inputs for both, one model pass where the candidate keeps the model,
    one rules evaluation where it keeps the rule set and date. ``rule_sets``: the recorded
    rule sets by version; ``load_model``: a version's model by id (None: cannot be loaded).
    """

    def __init__(
        self,
        rows: RecordedRows,
        *,
        candidate: Candidate,
        as_of: date | None,
        rule_sets: Mapping[str, PolicyRuleSet],
        load_model: Callable[[int], ScoringModel | None],
    ) -> None:
        self.rows, self.candidate, self.as_of = rows, candidate, as_of
        n = len(rows)
        #: Each record's decrypted inputs (``{}`` until decrypted, or when they cannot be).
        self.inputs: list[dict[str, Any]] = [{}] * n
        self.live = np.ones(n, dtype=np.bool_)
        self.columns = Columns(
            request_ids=[str(request_id) for request_id in rows.request_ids],
            recorded=list(rows.decisions),
            recorded_pd=np.array(rows.pds, dtype=np.float64),
            amount=np.full(n, np.nan),
            segments={
                "client": list(rows.clients),
                "grade": list(rows.grades),
                "province": ["-"] * n,
                "purpose": ["-"] * n,
            },
            before_rules=[list(failed) for failed in rows.failed_rules],
            after=[""] * n,
            after_pd=np.full(n, np.nan),
            after_rules=[()] * n,
        )
        self.models: dict[int, ScoringModel | None] = {}
        self.rule_sets, self.load_model = rule_sets, load_model
        # The replay's groups, in the order their last record is decrypted.
        groups = sorted(self._groups().items(), key=lambda item: item[1][-1])
        self.replay_queue = deque(groups)
        self.replay_groups = len(groups)

    def skip(self, positions: Sequence[int], reason: str) -> None:
        live = [i for i in positions if self.live[i]]
        self.live[live] = False
        if live:
            self.columns.skipped[reason] += len(live)

    def model(self, version_id: int) -> ScoringModel | None:
        if version_id not in self.models:
            self.models[version_id] = self.load_model(version_id)
        return self.models[version_id]

    def _groups(self) -> _Groups:
        groups: _Groups = defaultdict(list)
        rows = self.rows
        for i in range(len(rows)):
            key = (rows.model_version_ids[i], rows.rule_set_versions[i], rows.decision_dates[i])
            groups[key].append(i)
        return groups

    def take(self, start: int, chunk: Sequence[dict[str, Any] | None]) -> None:
        """The decrypted inputs of records ``start`` on (None: cannot be decrypted)."""
        failed = []
        for k, values in enumerate(chunk):
            if values is None:
                failed.append(start + k)
            else:
                self.inputs[start + k] = values
        self.skip(failed, "inputs cannot be decrypted")

    def replay_through(self, decrypted: int, progress: Callable[[float], None]) -> None:
        """Replay every group whose records are all decrypted (positions below
        ``decrypted``): each record under its recorded model and rule set on its decision
        date."""
        queue = self.replay_queue
        while queue and queue[0][1][-1] < decrypted:
            progress((self.replay_groups - len(queue)) / max(self.replay_groups, 1))
            (version_id, version, day), grouped = queue.popleft()
            positions = [i for i in grouped if self.live[i]]
            if positions:
                self._replay(version_id, version, day, positions)

    def inputs_read(self) -> None:
        """Every input decrypted: the report's columns that come from the inputs."""
        columns, inputs = self.columns, self.inputs
        columns.amount = np.array([_amount(values) for values in inputs], dtype=np.float64)
        columns.segments["province"] = [str(v.get("province") or "-") for v in inputs]
        columns.segments["purpose"] = [str(v.get("loan_purpose") or "-") for v in inputs]

    def _replay(self, version_id: int, version: str, day: date, positions: list[int]) -> None:
        """A group under its recorded model and rule set (the fidelity check) and under the
        candidate, in one ``decide_outcomes_each`` call: what the two share is done once."""
        model, rule_set = self.model(version_id), self.rule_sets.get(version)
        if model is None or rule_set is None:
            what = "model version" if model is None else "rule set"
            self.skip(positions, f"the recorded {what} is not available")
            return
        values = [self.inputs[i] for i in positions]
        passes = [OutcomePass(model, rule_set, day, model.schema)]
        candidate = self._candidate_pass(version, day, model)
        if isinstance(candidate, OutcomePass):
            passes.append(candidate)
        decided = decide_outcomes_each(values, passes=passes)
        self._compare(positions, decided[0])
        if isinstance(candidate, OutcomePass):
            self._store_after(positions, decided[1])
        else:
            self.skip(positions, candidate)

    def _candidate_pass(self, version: str, day: date, recorded: ScoringModel) -> OutcomePass | str:
        """The candidate's pass for a group (its own model and rule set where the candidate
        leaves them, on the decision date or ``as_of``), or why the group is skipped."""
        chosen = self.candidate.model_version
        model = recorded if chosen is None else self.model(chosen.pk)
        if model is None:
            return "the candidate model version is not available"
        if model.schema.names != recorded.schema.names:
            return "the candidate model reads other fields than the recorded"
        rule_set = self.candidate.policy or self.rule_sets[version]
        return OutcomePass(model, rule_set, self.as_of or day, model.schema)

    def _compare(self, positions: list[int], decided: Outcomes) -> None:
        """Each replayed decision against the recorded one: its first field that differs
        (in ``_COMPARED`` order) is a mismatch, as is an error."""
        rows = self.rows
        pds, scores = decided.probability_of_default.tolist(), decided.credit_score.tolist()
        for k, i in enumerate(positions):
            error = decided.errors.get(k)
            if error is not None:
                self._mismatch(i, "decision", rows.decisions[i], f"error: {_error_name(error)}")
                continue
            now = (decided.decision[k], pds[k], scores[k], list(decided.failed_rules[k]))
            then = (rows.decisions[i], rows.pds[i], rows.scores[i], list(rows.failed_rules[i]))
            for name, recorded, replayed in zip(_COMPARED, then, now, strict=True):
                if recorded != replayed:
                    self._mismatch(i, name, recorded, replayed)
                    break

    def _mismatch(self, i: int, field: str, recorded: Any, replayed: Any) -> None:
        request_id = self.columns.request_ids[i]
        self.columns.mismatches.append(Mismatch(request_id, field, recorded, replayed))

    def _store_after(self, positions: list[int], decided: Outcomes) -> None:
        columns = self.columns
        at = np.array(positions, dtype=np.intp)
        columns.after_pd[at] = decided.probability_of_default
        for k, i in enumerate(positions):
            columns.after[i] = decided.decision[k]
            columns.after_rules[i] = decided.failed_rules[k]
        self.skip([positions[k] for k in decided.errors], "the candidate cannot decide the inputs")


#: The fields of a replayed decision compared with the recorded, in this order.
_COMPARED = ("decision", "probability_of_default", "credit_score", "failed_rules")


def _error_name(error: Exception) -> str:
    """What a refused application is shown as: the field for an input error, else the type
    (never the message, which may quote an input value)."""
    field = getattr(error, "field", None)
    return str(field) if field else type(error).__name__


def _amount(values: dict[str, Any]) -> float:
    amount = values.get("loan_amount")
    return float(amount) if isinstance(amount, int | float) else float("nan")


def _stored_rule_sets(versions: set[str]) -> dict[str, PolicyRuleSet]:
    stored = RuleSet.objects.filter(version__in=versions)
    return {row.version: rule_set_policy(rule_set=row) for row in stored}


# --------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------


def simulation_run_create(*, request: SimulationRequest, user: User | None) -> SimulationRun:
    """A QUEUED run of a checked request (``SimulationRefused``: nothing written)."""
    candidate = simulation_candidate(request=request)
    rule_set = candidate.rule_set
    return SimulationRun.objects.create(
        request=request.to_dict(),
        rule_set=rule_set,
        candidate_sha256=definition_sha256(rule_set.definition) if rule_set else "",
        model_version=candidate.model_version,
        requested_by=user,
    )


def simulation_run_start(*, request: SimulationRequest, user: User | None) -> SimulationRun:
    """Create a QUEUED run and enqueue its execution once the transaction commits."""
    run = simulation_run_create(request=request, user=user)
    transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    """Send the run to a Celery worker; without a broker (eager mode), run it in a
    background thread, so that the request that started it answers at once."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        thread = threading.Thread(
            target=_execute_in_thread, args=(run_id,), name=f"kreditax-simulation-{run_id}"
        )
        thread.start()
        return
    from policy.tasks import run_simulation  # tasks import this module

    run_simulation.delay(run_id)


def _execute_in_thread(run_id: int) -> None:
    try:
        simulation_run_execute(run_id=run_id)
    finally:
        connection.close()


def simulation_run_execute(*, run_id: int) -> SimulationRun:
    """Claim a QUEUED run, simulate, keep the report; a run no longer QUEUED is left as is
    (a retried task does nothing). While it runs, a heartbeat thread keeps ``heartbeat_at``
    fresh (``KREDITAX_SIMULATION_HEARTBEAT_SECONDS``); a run the reaper failed meanwhile
    stops at its next progress and keeps its FAILED state."""
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().get(pk=run_id)
        if run.status != Status.QUEUED:
            return run
        run.status, run.stage, run.heartbeat_at = Status.RUNNING, "starting", timezone.now()
        run.save(update_fields=["status", "stage", "heartbeat_at"])
    every = settings.KREDITAX_SIMULATION_HEARTBEAT_SECONDS
    try:
        with Heartbeat(SimulationRun, run_id=run_id, every=every):
            report = simulate(
                request=SimulationRequest.from_dict(run.request), progress=_progress_of(run_id)
            )
    except SimulationCancelled:
        return _finish(run_id, Status.CANCELLED, stage="cancelled")
    except SimulationRefused as exc:
        return _finish(run_id, Status.FAILED, error=str(exc))
    except Exception:
        logger.exception("simulation run %s failed", run_id)
        return _finish(run_id, Status.FAILED, error="The simulation failed: see the log.")
    return _finish(run_id, Status.SUCCEEDED, report=report.to_dict(), stage="done")


def _progress_of(run_id: int) -> Progress:
    def progress(stage: str, fraction: float) -> None:
        updated = SimulationRun.objects.filter(
            pk=run_id, status=Status.RUNNING, cancel_requested=False
        ).update(
            stage=stage[:80], progress=min(max(fraction, 0.0), 1.0), heartbeat_at=timezone.now()
        )
        if not updated:  # a cancel was asked, or the reaper ended the run
            raise SimulationCancelled()

    return progress


def _finish(
    run_id: int,
    status: str,
    *,
    report: dict[str, Any] | None = None,
    error: str = "",
    stage: str = "",
) -> SimulationRun:
    """End a RUNNING run; one that already ended (the reaper failed it) is left as it is."""
    with transaction.atomic():
        run = SimulationRun.objects.select_for_update().get(pk=run_id)
        if run.status != Status.RUNNING:
            return run
        run.status, run.report, run.error = status, report, error[:2000]
        run.stage = stage or run.stage
        run.progress = 1.0 if status == Status.SUCCEEDED else run.progress
        run.finished_at = timezone.now()
        run.save()
    return run


def simulation_run_cancel(*, run: SimulationRun) -> SimulationRun:
    """Ask a run to stop: a QUEUED run is CANCELLED at once, a RUNNING one at its next
    stage. ``SimulationNotCancellable`` for a finished run (nothing written)."""
    with transaction.atomic():
        locked = SimulationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status not in (Status.QUEUED, Status.RUNNING):
            raise SimulationNotCancellable(f"Simulation {locked.pk} is {locked.status.lower()}.")
        locked.cancel_requested = True
        if locked.status == Status.QUEUED:
            locked.status, locked.finished_at = Status.CANCELLED, timezone.now()
        locked.save()
    return locked


def simulation_runs_reap_stale(*, now: datetime | None = None) -> list[int]:
    """Fail RUNNING runs whose heartbeat is older than ``KREDITAX_SIMULATION_STALE_SECONDS``
    ("worker lost") and QUEUED runs older than ``KREDITAX_SIMULATION_QUEUED_SECONDS``
    ("never started"), so that a lost worker never leaves a run RUNNING for ever. A run
    writes nothing but itself, so there is nothing else to undo. Returns the reaped ids."""
    return stale_runs_reap(
        SimulationRun,
        fail=_fail_unfinished,
        stale_seconds=settings.KREDITAX_SIMULATION_STALE_SECONDS,
        queued_seconds=settings.KREDITAX_SIMULATION_QUEUED_SECONDS,
        now=now,
    )


def _fail_unfinished(run: SimulationRun, message: str) -> str:
    run.status, run.error, run.finished_at = Status.FAILED, message, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    return message


# --------------------------------------------------------------------------------------
# Approval with a simulation as evidence
# --------------------------------------------------------------------------------------


def simulation_evidence(*, run: SimulationRun | None) -> SimulationEvidence | None:
    """A SUCCEEDED run of a rule set as evidence for its approval, else ``None``."""
    if run is None or run.status != Status.SUCCEEDED or run.rule_set_id is None:
        return None
    return SimulationEvidence(run.pk, run.rule_set_id, run.candidate_sha256)


def rule_set_approve_with_run(
    *, rule_set: RuleSet, run: SimulationRun | None, user: User, reason: str
) -> RuleSet:
    """``rule_set_approve`` with ``run`` as evidence (refused without a finished run)."""
    return rule_set_approve(
        rule_set=rule_set, user=user, reason=reason, evidence=simulation_evidence(run=run)
    )
