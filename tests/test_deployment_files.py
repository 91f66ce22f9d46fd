"""docker-compose.yml and the Dockerfile stay consistent with what production requires."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("DJANGO_SECRET_KEY", "KREDITAX_PII_KEY", "KREDITAX_AUDIT_KEYS", "DATABASE_URL")


def test_compose_runs_web_worker_beat_postgres_and_redis() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))

    assert {"web", "worker", "beat", "postgres", "redis"} <= set(compose["services"])
    assert compose["services"]["worker"]["command"][:4] == ["celery", "-A", "kreditax", "worker"]
    assert compose["services"]["beat"]["command"][:4] == ["celery", "-A", "kreditax", "beat"]


def test_compose_runs_a_dask_scheduler_and_two_workers_that_see_the_artifact_store() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    app_volumes = compose["x-app"]["volumes"]

    assert services["dask-scheduler"]["command"][:3] == [
        "python",
        "-m",
        "distributed.cli.dask_scheduler",
    ]
    for name in ("dask-worker-1", "dask-worker-2"):
        worker = services[name]
        assert worker["command"][:4] == [
            "python",
            "-m",
            "distributed.cli.dask_worker",
            "tcp://dask-scheduler:8786",
        ]
        assert worker["image"] == compose["x-app"]["image"]
        assert "models:/app/var/models:ro" in worker["volumes"]
        assert "portfolio:/app/var/portfolio" in worker["volumes"]
    assert compose["x-app"]["environment"]["KREDITAX_DASK_SCHEDULER"] == (
        "tcp://dask-scheduler:8786"
    )
    assert {"models:/app/var/models", "portfolio:/app/var/portfolio"} <= set(app_volumes)


def test_compose_gives_the_app_every_variable_production_requires() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    environment = compose["x-app"]["environment"]

    assert environment["DJANGO_SETTINGS_MODULE"] == "kreditax.settings.production"
    assert set(REQUIRED) <= set(environment)


def test_the_image_build_sets_every_variable_production_requires() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    build_step = re.search(r"RUN DJANGO_SECRET_KEY=.*?collectstatic", dockerfile, re.S)

    assert build_step is not None
    assert all(f"{name}=" in build_step.group(0) for name in REQUIRED)


def test_production_settings_require_exactly_these_variables() -> None:
    production = (ROOT / "kreditax" / "settings" / "production.py").read_text(encoding="utf-8")

    block = re.search(r"_required = \((.*?)\n\)", production, re.S)

    assert block is not None
    assert set(re.findall(r'\("(\w+)", ', block.group(1))) == set(REQUIRED) - {"DATABASE_URL"}
