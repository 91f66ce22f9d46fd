"""Root fixtures. PostgreSQL- and Redis-only tests skip with a reason when those are absent.

CI sets KREDITAX_REQUIRE_SERVICES=1 and points DATABASE_URL and REDIS_URL at real servers;
.ci/run then fails if any such test was skipped anyway.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.db.backends.base.creation import BaseDatabaseCreation

from credit_ml.artifacts import SavedArtifact

_deserialize = BaseDatabaseCreation.deserialize_db_from_string


def _deserialize_over_recreated_content_types(self: BaseDatabaseCreation, data: str) -> None:
    """Restore a ``serialized_rollback`` test's database over the content types that the
    flush after an earlier transactional test re-created (Django's ``post_migrate``).

    Those are made in ``INSTALLED_APPS`` order, the serialized ones in migration order, so the
    same model can have another primary key, and loading the serialized rows then breaks the
    unique (app_label, model): the test errored, or not, by the order the tests ran in. The
    content types (and with them the permissions and their grants) are removed first; the
    serialized copy brings them all back with their original keys.
    """
    ContentType.objects.using(self.connection.alias).all().delete()
    ContentType.objects.clear_cache()
    _deserialize(self, data)
    ContentType.objects.clear_cache()


BaseDatabaseCreation.deserialize_db_from_string = (  # type: ignore[method-assign]
    _deserialize_over_recreated_content_types
)


def _on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def chromium_path() -> str | None:
    """Debian's chromium (``apt-get install chromium``), driven by Playwright's Python package."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _has_browser() -> bool:
    return chromium_path() is not None and importlib.util.find_spec("playwright") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    has_redis = bool(os.environ.get("REDIS_URL"))
    has_browser = _has_browser()
    for item in items:
        if "requires_postgres" in item.keywords and not _on_postgres():
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL"))
        if "requires_redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis: set REDIS_URL"))
        if "requires_chromium" in item.keywords and not has_browser:
            reason = "needs chromium: apt-get install chromium; pip install playwright"
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def flushable_audit(transactional_db: None) -> Iterator[None]:
    """Lets the test runner's flush TRUNCATE the audit rows a transactional test wrote.

    Superuser only: with ``session_replication_role = replica`` no ordinary trigger fires
    (the append-only ones included). The setting lives as long as the session, and Django
    closes the connection right after the flush.
    """
    yield
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")


@pytest.fixture(scope="session")
def tiny_artifact(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], SavedArtifact]:
    """``tiny_artifact(label)``: a small built-in-schema XGBoost model (8 trees of depth 3 on
    1,500 generated applications, trained once per session) saved under ``label``, for
    tests that need a real champion but not a particular one."""
    from credit_ml.artifacts import save_artifact
    from credit_ml.schema import INDONESIAN_SCHEMA
    from credit_ml.synthetic import generate_applications
    from credit_ml.training import TrainConfig, train_model

    config = TrainConfig(n_estimators=8, max_depth=3, learning_rate=0.3, folds=0, seed=5)
    trained = train_model(generate_applications(1500, 3), schema=INDONESIAN_SCHEMA, config=config)
    root = tmp_path_factory.mktemp("tiny-models")
    saved: dict[str, SavedArtifact] = {}

    def save(label: str) -> SavedArtifact:
        if label not in saved:
            saved[label] = save_artifact(trained, root=root, label=label, data_sha256="d" * 64)
        return saved[label]

    return save


@pytest.fixture
def decryption_workers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The decryption worker processes ``audit.crypto.decrypt_chunks`` starts during the
    test (``None`` where one could not start), in order."""
    from audit import crypto

    started: list[Any] = []
    real_start = crypto._Worker.start

    def keep(keys: Any) -> Any:
        started.append(real_start(keys))
        return started[-1]

    monkeypatch.setattr(crypto._Worker, "start", keep)
    return started


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The project's WSGI application for in-process clients (schemathesis ``from_wsgi``).

    As Django's test client does, the request signals do not close the database connection
    meanwhile: on PostgreSQL that connection holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
