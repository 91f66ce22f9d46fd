"""The champion model, loaded once per process and verified against its SHA-256.

Each process asks the database which versions the ``champion`` and ``challenger`` aliases
point to (one indexed join on a persistent connection) at most once every
``KREDITAX_CHAMPION_REFRESH_SECONDS`` (default 2; 0 asks on every request) and uses its
cached, verified ``ScoringModel`` for that version. A promotion or rollback therefore
reaches every worker within that many seconds, without a restart, and each decision is
made with exactly one version: the one looked up at the start of that request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from credit_ml.scoring import ScoringModel
from registry import metrics
from registry.models import ModelAlias, ModelVersion
from registry.services import model_version_load

logger = logging.getLogger(__name__)
_MAX_CACHED = 3
_lock = threading.Lock()
_cache: dict[tuple[int, str], LoadedModel] = {}
#: (monotonic time of the lookup, alias rows) of the last alias lookup in this process.
_aliases: tuple[float, dict[str, tuple[int, str]]] | None = None


class NoChampion(RuntimeError):
    """No READY version is champion: the service cannot decide."""


@dataclass(frozen=True)
class LoadedModel:
    version: ModelVersion
    model: ScoringModel


def _load(version_id: int, sha256: str) -> LoadedModel:
    key = (version_id, sha256)
    loaded = _cache.get(key)
    if loaded is not None:
        return loaded
    with _lock:
        loaded = _cache.get(key)
        if loaded is None:
            version = ModelVersion.objects.get(pk=version_id)
            model = model_version_load(version=version)
            metrics.CHAMPION_RELOADS.inc()
            model.set_threads(settings.KREDITAX_SCORING_THREADS)
            while len(_cache) >= _MAX_CACHED:
                _cache.pop(next(iter(_cache)))
            loaded = _cache[key] = LoadedModel(version=version, model=model)
    return loaded


@dataclass(frozen=True)
class Serving:
    """The models one request uses: the champion decides, the challenger only shadows."""

    champion: LoadedModel
    challenger: LoadedModel | None


def _alias_rows() -> dict[str, tuple[int, str]]:
    """Alias name to (version id, artifact SHA-256) of READY (or DAMAGED) versions, in one
    indexed join.

    Raw SQL on purpose: this runs on every scoring request, and compiling the equivalent
    ORM query costs several times more than executing it.
    """
    quote = connection.ops.quote_name
    # Table names come from model metadata; values are parameters.
    sql = (
        f"SELECT a.name, v.id, v.artifact_sha256 FROM {quote(ModelAlias._meta.db_table)} a "  # noqa: S608
        f"JOIN {quote(ModelVersion._meta.db_table)} v ON v.id = a.version_id "
        "WHERE a.name IN (%s, %s) AND v.status IN (%s, %s)"
    )
    names = [ModelAlias.Name.CHAMPION.value, ModelAlias.Name.CHALLENGER.value]
    # A DAMAGED version stays in the answer: a process that verified it before keeps its
    # in-memory copy; any other refuses to load it (``model_version_load``).
    statuses = [ModelVersion.Status.READY.value, ModelVersion.Status.DAMAGED.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*names, *statuses])
        return {str(name): (int(pk), str(sha)) for name, pk, sha in cursor.fetchall()}


def _current_alias_rows() -> dict[str, tuple[int, str]]:
    """``_alias_rows``, looked up again once the last lookup is older than the refresh time."""
    global _aliases
    refresh = float(settings.KREDITAX_CHAMPION_REFRESH_SECONDS)
    now = time.monotonic()
    known = _aliases
    if refresh > 0 and known is not None and now - known[0] < refresh:
        return known[1]
    rows = _alias_rows()
    _aliases = (now, rows)
    return rows


def serving() -> Serving:
    """The champion (required) and the challenger (if any), verified and cached."""
    rows = _current_alias_rows()
    if ModelAlias.Name.CHAMPION.value not in rows:
        raise NoChampion("No champion model is registered.")
    return Serving(
        champion=_load(*rows[ModelAlias.Name.CHAMPION.value]),
        challenger=_challenger(rows.get(ModelAlias.Name.CHALLENGER.value)),
    )


def _challenger(row: tuple[int, str] | None) -> LoadedModel | None:
    """A challenger that cannot be loaded is logged and skipped: it never blocks a decision."""
    if row is None:
        return None
    try:
        return _load(*row)
    except Exception:
        logger.exception("The challenger model (version id %s) could not be loaded", row[0])
        return None


def champion() -> LoadedModel:
    """The current champion's version row and its verified model."""
    return serving().champion


def version_model(version: ModelVersion) -> ScoringModel:
    """The verified model of any READY version (replay, shadow scoring)."""
    return _load(version.pk, version.artifact_sha256).model


def clear() -> None:
    """Forget every loaded model and the last alias lookup (tests; a promotion needs neither)."""
    global _aliases
    with _lock:
        _cache.clear()
        _aliases = None
