"""Two promotions at the same moment serialise on the champion row's lock (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from registry import services
from registry.models import ModelAlias, ModelAliasChange, ModelVersion
from registry.services import model_version_promote


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_promotions_leave_one_champion_and_a_consistent_history(
    make_version: Callable[..., ModelVersion], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_version("first")
    model_version_promote(label="first")
    left, right = make_version("left"), make_version("right")
    real_switch = services._alias_switch

    def slow_switch(**kwargs: Any) -> None:
        time.sleep(0.3)  # hold the row lock long enough for the other thread to queue on it
        real_switch(**kwargs)

    monkeypatch.setattr(services, "_alias_switch", slow_switch)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def promote(label: str) -> None:
        try:
            barrier.wait(timeout=10)
            model_version_promote(label=label, override_reason=f"race {label}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=promote, args=(v.label,)) for v in (left, right)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    champion = ModelAlias.objects.get(name="champion").version
    assert champion in (left, right)
    assert ModelAlias.objects.filter(version__isnull=False).count() == 1
    races = list(ModelAliasChange.objects.exclude(from_version=None).order_by("id"))
    assert len(races) == 2
    assert races[0].from_version == first
    assert races[1].from_version == races[0].to_version
    assert races[1].to_version == champion
    assert {races[0].to_version, races[1].to_version} == {left, right}
