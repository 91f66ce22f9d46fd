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


# --- the reverse proxy ----------------------------------------------------------------------

NGINX_CONF = ROOT / "deploy" / "nginx" / "kreditax.conf"


def nginx_directives(text: str) -> dict[str, list[str]]:
    """Directive name -> its arguments, for the one-line directives of the file (the last
    occurrence wins; comments are dropped)."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        words = line.split("#", 1)[0].strip().rstrip(";").split()
        if words and line.strip().endswith(";"):
            found[words[0]] = words[1:]
    return found


def test_compose_publishes_only_the_proxy_with_the_shipped_config() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]

    assert services["proxy"]["image"].startswith("nginx:")
    assert services["proxy"]["ports"] == ["8000:8080"]
    assert services["proxy"]["volumes"] == [
        "./deploy/nginx/kreditax.conf:/etc/nginx/conf.d/default.conf:ro"
    ]
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    # The proxy is the only port published beyond this host (Prometheus: 127.0.0.1 only).
    public = [
        name
        for name, service in services.items()
        if any(not str(port).startswith("127.0.0.1:") for port in service.get("ports", []))
    ]
    assert public == ["proxy"]
    assert services["web"]["expose"] == ["8000"]
    # web sees only the proxy, whose X-Real-IP names the client (the failed-key limit).
    assert services["web"]["environment"]["KREDITAX_TRUSTED_PROXIES"] == "0.0.0.0/0,::/0"


def test_the_proxy_buffers_requests_and_its_limits_match_the_application() -> None:
    from django.conf import settings

    conf = nginx_directives(NGINX_CONF.read_text(encoding="utf-8"))
    gunicorn: dict[str, object] = {}
    exec((ROOT / "kreditax" / "gunicorn.conf.py").read_text(encoding="utf-8"), gunicorn)  # noqa: S102

    assert conf["server"] == ["web:8000"]
    assert conf["listen"] == ["8080"]
    assert conf["proxy_request_buffering"] == ["on"]
    assert conf["proxy_buffering"] == ["on"]
    assert conf["client_max_body_size"] == [str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)]
    assert conf["large_client_header_buffers"] == ["4", "8k"]
    assert gunicorn["limit_request_line"] == gunicorn["limit_request_field_size"] == 8190
    assert conf["proxy_read_timeout"] == [f"{gunicorn['timeout']}s"]
    assert conf["keepalive_timeout"] == [f"{gunicorn['keepalive']}s"]
    assert conf["proxy_set_header"][0] == "X-Forwarded-Proto"  # the last one set
    assert conf["error_page"] == ["502", "504", "@unavailable"]
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert f"the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes." in text
    assert "longer than 8190 bytes." in text
    assert "proxy_set_header X-Real-IP $remote_addr;" in text


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
