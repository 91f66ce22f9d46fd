"""The champion model, loaded once per process and verified against its SHA-256.

Every request asks the database which version the ``champion`` alias points to (one indexed
primary-key lookup on a persistent connection) and uses the process's cached, verified
``ScoringModel`` for that version. A promotion therefore reaches every worker with its next
request, without a restart, and each decision is made with exactly one version: the one
read at the start of that request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings

from credit_ml.scoring import ScoringModel
from training.models import ModelAlias, ModelVersion
from training.services import model_version_load

_MAX_CACHED = 3
_lock = threading.Lock()
_cache: dict[tuple[int, str], ScoringModel] = {}


class NoChampion(RuntimeError):
    """No READY version is champion: the service cannot decide."""


@dataclass(frozen=True)
class LoadedModel:
    version: ModelVersion
    model: ScoringModel


def _load(version: ModelVersion) -> ScoringModel:
    key = (version.pk, version.artifact_sha256)
    model = _cache.get(key)
    if model is not None:
        return model
    with _lock:
        model = _cache.get(key)
        if model is None:
            model = model_version_load(version=version)
            model.set_threads(settings.KREDITAX_SCORING_THREADS)
            while len(_cache) >= _MAX_CACHED:
                _cache.pop(next(iter(_cache)))
            _cache[key] = model
    return model


def champion() -> LoadedModel:
    """The current champion's version row and its verified model."""
    alias = (
        ModelAlias.objects.select_related("version")
        .filter(name=ModelAlias.Name.CHAMPION, version__status=ModelVersion.Status.READY)
        .first()
    )
    if alias is None or alias.version is None:
        raise NoChampion("No champion model is registered.")
    return LoadedModel(version=alias.version, model=_load(alias.version))


def version_model(version: ModelVersion) -> ScoringModel:
    """The verified model of any READY version (replay, shadow scoring)."""
    return _load(version)


def clear() -> None:
    """Forget every loaded model (tests; never needed for a promotion)."""
    with _lock:
        _cache.clear()
