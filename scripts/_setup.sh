# Sourced by scripts/run, scripts/test and .ci/run: a ready virtualenv and a running RabbitMQ.
# Idempotent and quiet when everything is already in place.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${MPP_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

ensure_venv() {
  local stamp="$VENV/.installed"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV" >&2
    "$PY" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ requirements-dev.lock -nt "$stamp" ] \
     || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing pinned dependencies (requirements-dev.lock)" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r requirements-dev.lock
    "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e .
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

rabbitmq_up() {
  "$VENV/bin/python" - <<'PY'
import os, socket, sys
from urllib.parse import urlparse
u = urlparse(os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"))
try:
    socket.create_connection((u.hostname or "127.0.0.1", u.port or 5672), 2).close()
except OSError:
    sys.exit(1)
PY
}

# The management API creates the test run's own vhost (tests/support/vhost.py) and is what
# provisioning talks to; enable it on a local broker this machine administers.
ensure_management_plugin() {
  if [ "$(id -u)" = 0 ] && command -v rabbitmq-plugins >/dev/null 2>&1; then
    rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1 \
      || rabbitmq-plugins -q enable rabbitmq_management >/dev/null 2>&1 || true
  fi
}

ensure_rabbitmq() {
  if rabbitmq_up; then ensure_management_plugin; return 0; fi
  if [ -n "${RABBITMQ_URL:-}" ] && [[ "$RABBITMQ_URL" != *"localhost"* && "$RABBITMQ_URL" != *"127.0.0.1"* ]]; then
    echo "setup: RabbitMQ at RABBITMQ_URL is unreachable" >&2; return 1
  fi
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "setup: installing rabbitmq-server (Debian package)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  echo "setup: starting RabbitMQ" >&2
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do
    if rabbitmq_up; then ensure_management_plugin; return 0; fi
    sleep 1
  done
  echo "setup: RabbitMQ did not come up within 60 s" >&2
  return 1
}
