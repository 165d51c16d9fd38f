#!/usr/bin/env bash
# A working day under load (issue 8, part 5): gunicorn on PostgreSQL with the demo province,
# then the locust scenario of bench/load/locustfile.py, headless, for a bounded time.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5433/doha_load bench/load/run.sh [users] [minutes]
#
# The database must exist; it is migrated and given the demo province when it has none.
# Everything binds to 127.0.0.1. Figures land in var/load/ (locust's CSV and HTML report) and
# the per-page table is printed at the end. Python packages: the project's, plus
# bench/load/requirements.txt (locust, pinned).
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-50}
MINUTES=${2:-5}
PORT=${DOHA_LOAD_PORT:-8100}
WORKERS=${DOHA_LOAD_WORKERS:-5}
THREADS=${DOHA_LOAD_THREADS:-2}
PY=${PYTHON:-.venv/bin/python}
BIN=$(dirname "$PY")
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database}"
export DATABASE_URL DJANGO_SETTINGS_MODULE=doha.settings PYTHONPATH=src
OUT=var/load
mkdir -p "$OUT"

"$PY" manage.py migrate --noinput >/dev/null
if ! "$PY" manage.py shell -c 'from doha.orgunits.models import OrgUnit; import sys; sys.exit(0 if OrgUnit.objects.filter(code="BN-TTYT-TIENDU").exists() else 1)'; then
  echo "load: loading the demo province ..."
  "$PY" manage.py load_demo >/dev/null
fi
"$PY" manage.py collectstatic --noinput >/dev/null

# Production settings on plain HTTP (loopback only): DEBUG off, no HTTPS redirect.
export DOHA_ENV=production DOHA_INSECURE_COOKIES=1 ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
# Every simulated person signs in from 127.0.0.1: raise the lockout limit so that a slow
# sign-in retried by locust never locks the shared demo accounts.
export DOHA_LOGIN_FAILURE_LIMIT=1000
"$BIN/gunicorn" doha.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --worker-class gthread --threads "$THREADS" --timeout 120 --log-level warning \
  --pid "$OUT/gunicorn.pid" >"$OUT/gunicorn.log" 2>&1 &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/login/" && break
  sleep 1
done

# By default the figures are of the working day itself: locust resets its counters once all
# the people have signed in (DOHA_LOAD_RESET_STATS=0 keeps the sign-in minute in them).
RESET=--reset-stats
[ "${DOHA_LOAD_RESET_STATS:-1}" = 1 ] || RESET=
rc=0
"$BIN/locust" -f bench/load/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
  --users "$USERS" --spawn-rate "${DOHA_LOAD_SPAWN_RATE:-1}" --run-time "${MINUTES}m" \
  --stop-timeout 30 $RESET \
  --csv "$OUT/load" --html "$OUT/load.html" --only-summary >"$OUT/locust.log" 2>&1 || rc=$?
# locust's own table: requests, failures, percentiles per page and API
sed -n '/Response time percentiles/,$p' "$OUT/locust.log"
echo "load: per-page figures in $OUT/load_stats.csv, failures in $OUT/load_failures.csv"
exit "$rc"  # locust exits 1 when any request failed
