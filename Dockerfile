# KreditaX web, worker and beat image. One image, three commands (see docker-compose.yml).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=kreditax.settings.production

# libgomp1: OpenMP runtime for xgboost and lightgbm wheels.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 kreditax

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN DJANGO_SECRET_KEY=build KREDITAX_PII_KEY=build KREDITAX_AUDIT_KEYS=build \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/models /app/var/data /tmp/prometheus && chown -R kreditax /app/var /tmp/prometheus

USER kreditax
EXPOSE 8000
ENV GUNICORN_BIND=0.0.0.0:8000
CMD ["python", "-m", "gunicorn", "kreditax.wsgi:application", "--config", "kreditax/gunicorn.conf.py"]
