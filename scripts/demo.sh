#!/usr/bin/env bash
# The embedded demo: SQLite, Celery eager, a synthetic data set, a trained champion,
# demo users and an API key, a few decisions sealed into a checkpoint, then the server on
# HOST:PORT. Safe to run again.
set -euo pipefail
rows="${1:-30000}"; host="${2:-127.0.0.1}"; port="${3:-8000}"
py=.venv/bin/python
var="${KREDITAX_VAR_DIR:-var}"
data="$var/data/demo-applications.parquet"
# The model store exists before the first command (else the kreditax.E001 system check fails).
mkdir -p "${KREDITAX_ARTIFACT_DIR:-$var/models}"

$py manage.py migrate --noinput
$py manage.py collectstatic --noinput >/dev/null
if [ ! -f "$data" ]; then
  $py manage.py generate_data --rows "$rows" --seed 7 --out "$data"
fi
if ! $py manage.py list_models --json | $py -c 'import json,sys; sys.exit(0 if any(m["is_champion"] for m in json.load(sys.stdin)) else 1)'; then
  $py manage.py train_model --data "$data" --folds 3 --seed 7
fi
# A challenger that scores in the champion's shadow (recorded with each decision, never
# returned): another model on the same data, without cross-validation, to keep the demo quick.
if ! $py manage.py list_models --json | $py -c 'import json,sys; sys.exit(0 if any("challenger" in m["aliases"] for m in json.load(sys.stdin)) else 1)'; then
  $py manage.py train_model --data "$data" --folds 0 --seed 11
  label="$($py manage.py list_models --json | $py -c 'import json,sys; print(next(m["label"] for m in json.load(sys.stdin) if m["status"] == "READY" and not m["is_champion"]))')"
  $py manage.py make_challenger "$label" --reason "demo: shadow scoring beside the champion"
fi
$py manage.py create_demo_users --password demo12345 --base-url "http://$host:$port" \
  > "$var/demo-users.txt"
key="$($py manage.py create_api_key demo-loan-system --rule-set fintech --quiet)"
export DEMO_KEY="$key" HOST="$host" PORT="$port"
# A few decisions, so the admin's pages have something to show; then seal them at once
# (the demo runs no beat, and nothing else is writing, so no seal delay is needed).
$py scripts/demo_decisions.py 25
KREDITAX_AUDIT_SEAL_DELAY_SECONDS=0 $py manage.py seal_audit
$py scripts/demo_banner.py "$var/demo-users.txt"
exec $py -m gunicorn kreditax.wsgi:application --config kreditax/gunicorn.conf.py \
  --bind "$host:$port" --workers 2 --access-logfile -
