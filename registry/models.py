"""What every decision record refers to: model versions and their aliases, rule sets, API clients.

The bottom Django layer: the interface apps (scoring, training, and those to come) and the
audit trail all refer to these rows, and this app imports none of them.

The model registry is modelled on MLflow's: a version is ``PENDING`` while it trains, then
``READY`` or ``FAILED``. Which version scores is not a flag on the version but a named alias
row; the ``champion`` row exists from the data migration onwards, so promotion locks that one
row and there is exactly one champion by construction.

The tables keep the names they had in the apps that created them (``training_*``,
``scoring_*``): the move to this app changed Django's state only, never the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from rest_framework_api_key.models import AbstractAPIKey


class ModelVersion(models.Model):
    class Algorithm(models.TextChoices):
        XGBOOST = "xgboost", "XGBoost"
        LIGHTGBM = "lightgbm", "LightGBM"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        READY = "READY", "Ready"
        FAILED = "FAILED", "Failed"
        # READY once, but its artifact no longer matches ``artifact_sha256`` (the periodic
        # check found it changed or gone): never loaded, promoted or rolled back to again.
        DAMAGED = "DAMAGED", "Damaged"

    label = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    artifact_path = models.TextField(blank=True)
    # SHA-256 of the artifact directory, hex; blank until READY. The loader refuses a mismatch.
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    # SHA-256 of the training file, hex: which data produced this version.
    data_fingerprint = models.CharField(max_length=64)
    # Where the training file was read from: promotion recomputes the version's holdout from
    # it (and refuses when its SHA-256 no longer matches ``data_fingerprint``).
    data_path = models.TextField(blank=True)
    data_rows = models.PositiveIntegerField(null=True, blank=True)
    # A readable message for people, never a traceback (that goes to the log).
    error = models.TextField(blank=True)
    # The lender's dataset spec (credit_ml.spec.DatasetSpec.to_dict), null for the built-in
    # Indonesian schema. Scoring validates against the champion's schema built from it.
    dataset_spec = models.JSONField(null=True, blank=True)
    # The monitoring baseline (credit_ml.monitoring.ModelBaseline.to_dict): the score's and
    # every field's bins and shares. ``baseline_source`` says where it came from: "training"
    # (its training data) or "decisions" (its first month of decisions); blank: none yet.
    baseline = models.JSONField(null=True, blank=True)
    # A database default too, so that a writer that predates the column can still insert.
    baseline_source = models.CharField(max_length=16, blank=True, default="", db_default="")
    # PROTECT: the registry is an audit trail; users are deactivated, not deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "training_modelversion"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="training_mv_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="READY") | (~Q(artifact_sha256="") & Q(ready_at__isnull=False)),
                name="training_mv_ready_has_artifact",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_champion(self) -> bool:
        """Whether the ``champion`` alias points here (uses the selector's annotation if any)."""
        annotated: bool | None = getattr(self, "champion_flag", None)
        if annotated is not None:
            return annotated
        return ModelAlias.objects.filter(name=ModelAlias.Name.CHAMPION, version=self).exists()

    @property
    def test_auc(self) -> float | None:
        """AUC on the held-out test split (the core calls it ``auc``)."""
        value: Any = (self.metrics or {}).get("auc")
        return float(value) if isinstance(value, int | float) else None


class ModelAlias(models.Model):
    """A named pointer to a version. Rows are created by migration 0002 and never deleted."""

    class Name(models.TextChoices):
        CHAMPION = "champion", "Champion"
        CHALLENGER = "challenger", "Challenger"

    name = models.CharField(max_length=16, choices=Name.choices, unique=True)
    version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="aliases",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "training_modelalias"
        ordering = ["name"]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return f"{self.name} -> {self.version_id or '-'}"


class ModelAliasChange(models.Model):
    """Append-only history: who moved which alias, when, from which version to which, why.

    A champion alias change's ``to_version`` is a former champion from then on: rollbacks
    go only to those (unless overridden with a reason).
    """

    alias = models.CharField(max_length=16, choices=ModelAlias.Name.choices)
    from_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Null when the alias was cleared (a challenger that became champion).
    to_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who, as text: the user's username, or ``os:NAME`` for a command run without --user
    # (the operating-system account that ran it). A database default, so that code of the
    # previous release still writes rows while a deployment rolls out.
    changed_by_name = models.CharField(max_length=150, blank=True, db_default="")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "training_modelaliaschange"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["alias", "-created_at"], name="training_mac_alias_idx")]
        constraints = [
            # A change changes something: re-promoting the champion records nothing.
            models.CheckConstraint(
                condition=~Q(from_version=models.F("to_version")),
                name="training_mac_from_differs_from_to",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alias}: {self.from_version_id or '-'} -> {self.to_version_id or '-'}"


class ArtifactAlert(models.Model):
    """The periodic artifact check found a version's artifact damaged (or restored).

    A record for people, shown in the admin beside an error line in the log; written by
    ``registry.services.model_artifacts_verify`` only, never edited.
    """

    class Kind(models.TextChoices):
        DAMAGED = "DAMAGED", "Artifact damaged"
        RESTORED = "RESTORED", "Artifact restored"

    version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="artifact_alerts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # What was found, for people: the expected and found SHA-256, or why it cannot be read.
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.kind}"


class RunStatus(models.TextChoices):
    """The states of a job a worker runs: training, portfolio scoring and simulation runs."""

    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


#: Where a training run fits its boosters or a portfolio run scores: this machine, or the
#: Dask cluster of ``KREDITAX_DASK_SCHEDULER`` (used by ``training`` and ``portfolio``).
ENGINE_CHOICES = [("local", "One machine"), ("dask", "Dask cluster")]


class RuleSetImmutable(RuntimeError):
    """A published or refused rule-set version may never be changed or deleted."""


class RuleSet(models.Model):
    """A versioned rule set, stored as data (``credit_ml.policy.RuleSet.to_dict``).

    Governed: a credit-policy manager drafts a version (``DRAFT``); a second person with
    ``approve_ruleset`` publishes it (``PUBLISHED``), with a simulation run of exactly that
    draft as evidence, or refuses it (``REFUSED``); who, when and why are kept. Only a draft
    may change: a published version is what decisions record, so it is never edited, and a
    change is a new version. ``based_on`` is the version it succeeds: the API clients on
    that version decide under this one from ``effective_from`` on (see
    ``registry.selectors.rule_set_in_force``). The versions stored before governance are
    PUBLISHED, effective from 2024-01-01, with no reviewer.
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        PUBLISHED = "PUBLISHED", "Published"
        REFUSED = "REFUSED", "Refused"

    name = models.CharField(max_length=40)  # "fintech", "bank", or a lender's own
    version = models.CharField(max_length=60, unique=True)
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Database defaults: the rows code of the previous release writes while a deployment
    # rolls out are the built-in sets it always wrote, published and in force from the start.
    status = models.CharField(
        max_length=9, choices=Status.choices, default=Status.DRAFT, db_default=Status.PUBLISHED
    )
    effective_from = models.DateField(db_default=date(2024, 1, 1))
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True, db_default="")
    # The simulation run shown as evidence (``policy.SimulationRun``, a layer above: a
    # reference, not a key) and the SHA-256 of the definition it simulated.
    simulation_run_id = models.PositiveBigIntegerField(null=True, blank=True)
    simulated_sha256 = models.CharField(max_length=64, blank=True, db_default="")

    class Meta:
        db_table = "scoring_ruleset"
        ordering = ["name", "-created_at"]
        permissions = [("approve_ruleset", "Can approve or refuse a rule-set version")]
        indexes = [
            models.Index(
                fields=["based_on", "status", "effective_from"], name="registry_rs_successor"
            )
        ]

    def __str__(self) -> str:
        return self.version

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_if_settled()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._refuse_if_settled()
        return super().delete(*args, **kwargs)

    def _refuse_if_settled(self) -> None:
        if self.pk is None or self._state.adding:
            return
        stored = RuleSet.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if stored is not None and stored != RuleSet.Status.DRAFT:
            raise RuleSetImmutable(f"Rule set {self.version} is {stored.lower()}: immutable.")


class ApiClient(AbstractAPIKey):
    """One loan system's API key: stored hashed (SHA-512), revocable, optionally expiring."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="clients")

    class Meta(AbstractAPIKey.Meta):
        db_table = "scoring_apiclient"
        verbose_name = "API client"
        verbose_name_plural = "API clients"
        permissions = [("score_applications", "Can score loan applications")]
