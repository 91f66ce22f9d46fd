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


def test_prometheus_scrapes_web_with_the_token_and_the_worker() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    prometheus = compose["services"]["prometheus"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    config_file = ROOT / mounted["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    web, worker = jobs["kreditax-web"], jobs["kreditax-worker"]
    assert web["metrics_path"] == "/metrics"
    assert web["static_configs"] == [{"targets": ["web:8000"]}]
    assert web["authorization"]["type"] == "Bearer"
    token_file = web["authorization"]["credentials_file"]
    assert token_file == f"/run/secrets/{prometheus['secrets'][0]}"
    assert compose["secrets"]["metrics_token"] == {"environment": "KREDITAX_METRICS_TOKEN"}
    assert "KREDITAX_METRICS_TOKEN" in compose["x-app"]["environment"]
    port = compose["services"]["worker"]["environment"]["KREDITAX_WORKER_METRICS_PORT"]
    assert worker["static_configs"] == [{"targets": [f"worker:{port}"]}]
    assert compose["services"]["worker"]["expose"] == [port]
    assert all(p.startswith("127.0.0.1:") for p in prometheus["ports"])  # not public
