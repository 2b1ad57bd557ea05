# Sourced by scripts/run, scripts/test, scripts/lock and .ci/run: a supported Python, a ready
# virtualenv, the Debian packages the tests use, and a running RabbitMQ.
# Idempotent and quiet when everything is already in place.
#
#   PYTHON=python3.12   the interpreter to build the virtualenv with (default: python3 if it is
#                       a supported one, else the newest supported one found, named as it is used)
#   MPP_VENV=.venv-3.12 where the virtualenv lives (default: .venv)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${MPP_VENV:-$ROOT/.venv}"
SUPPORTED_PYTHONS="3.11 3.12 3.13"
PY=""
PY_VERSION=""

# "3.12" for an interpreter that runs, nothing (and status 1) for one that does not.
python_version() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

is_supported() {
  [[ " $SUPPORTED_PYTHONS " == *" $1 "* ]]
}

# An interpreter that runs for a name like python3.13: the name itself, or (pyenv's shim only
# answers for the versions selected) the pyenv-installed interpreter of that name.
runnable_python() {
  local name="$1" candidate root
  if python_version "$name" >/dev/null; then
    echo "$name"
    return 0
  fi
  if [[ "$name" != */* ]] && command -v pyenv >/dev/null 2>&1; then
    root="$(pyenv root)"
    for candidate in "$root"/versions/*/bin/"$name"; do
      if [ -x "$candidate" ] && python_version "$candidate" >/dev/null; then
        echo "$candidate"
        return 0
      fi
    done
  fi
  return 1
}

# Sets PY and PY_VERSION before anything is installed: PYTHON if given (refused when it is not
# a supported version), else python3 if supported, else the newest supported interpreter found.
pick_python() {
  local name current
  if [ -n "${PYTHON:-}" ]; then
    if ! PY="$(runnable_python "$PYTHON")"; then
      echo "setup: PYTHON=$PYTHON does not run; name a Python 3.11, 3.12 or 3.13, e.g. PYTHON=python3.12" >&2
      return 1
    fi
    PY_VERSION="$(python_version "$PY")"
    if ! is_supported "$PY_VERSION"; then
      echo "setup: PYTHON=$PYTHON is Python $PY_VERSION; the platform supports 3.11, 3.12 and 3.13:" \
        "set PYTHON= to one of them, e.g. PYTHON=python3.12" >&2
      return 1
    fi
    return 0
  fi
  for name in python3 python3.13 python3.12 python3.11; do
    PY="$(runnable_python "$name")" || continue
    PY_VERSION="$(python_version "$PY")"
    is_supported "$PY_VERSION" || continue
    if [ "$name" != python3 ]; then
      current="$(python_version python3 || true)"
      echo "setup: python3 is ${current:+Python }${current:-missing}, which the platform does not" \
        "support (3.11, 3.12, 3.13); using $PY (Python $PY_VERSION). PYTHON= chooses another." >&2
    fi
    return 0
  done
  echo "setup: no Python 3.11, 3.12 or 3.13 found (python3 is $(python_version python3 || echo "missing"));" \
    "install one and set PYTHON=, e.g. PYTHON=/usr/local/bin/python3.12" >&2
  return 1
}

# The virtualenv at $VENV, built with a supported Python and holding exactly the locked
# (hash-checked) packages; rebuilt when PYTHON names another version than the one it has.
ensure_venv() {
  local stamp="$VENV/.installed" have=""
  [ -x "$VENV/bin/python" ] && have="$(python_version "$VENV/bin/python" || true)"
  if [ -n "${PYTHON:-}" ] || ! is_supported "$have"; then
    pick_python
    if [ -n "$have" ] && [ "$have" != "$PY_VERSION" ]; then
      echo "setup: $VENV has Python $have; rebuilding it with $PY (Python $PY_VERSION)" >&2
      "$PY" -m venv --clear "$VENV"
    elif [ ! -x "$VENV/bin/python" ] || [ -z "$have" ]; then
      echo "setup: creating $VENV with $PY (Python $PY_VERSION)" >&2
      "$PY" -m venv --clear "$VENV"
    fi
  fi
  if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ requirements-dev.lock -nt "$stamp" ] \
     || [ pyproject.toml -nt "$stamp" ]; then
    echo "setup: installing the locked dependencies (requirements-dev.lock, hash-checked)" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
      -r requirements-dev.lock
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --no-build-isolation -e .
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# Debian packages the tests use, installed (as root, with apt-get) only when missing: Chromium
# for the browser tests (Playwright's Python package drives /usr/bin/chromium) and Prometheus
# (promtool checks the alert rules; some tests run a real Prometheus) and docker-compose (a test
# validates docker-compose.yml with `docker-compose config`). Not needed by scripts/run.
SYSTEM_PACKAGES=("chromium:/usr/bin/chromium" "prometheus:promtool" "docker-compose:docker-compose")

ensure_system_packages() {
  local entry missing=() policy=/usr/sbin/policy-rc.d made_policy="" status=0
  for entry in "${SYSTEM_PACKAGES[@]}"; do
    command -v "${entry#*:}" >/dev/null 2>&1 || missing+=("${entry%%:*}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing Debian packages ${missing[*]} (some tests need them):" \
      "apt-get install ${missing[*]} as root" >&2
    return 0
  fi
  echo "setup: installing Debian packages ${missing[*]}" >&2
  # Install, but start no daemon (prometheus would otherwise listen on :9090 from now on).
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}" >/dev/null; } || status=$?
  [ -n "$made_policy" ] && rm -f "$policy"
  if [ "$status" != 0 ]; then
    echo "setup: apt-get could not install ${missing[*]}" >&2
    return "$status"
  fi
}

# What RABBITMQ_URL (one URL, or several comma-separated) says about the broker, in two words:
#   reachable|down   does some node answer on its AMQP port?
#   local|remote     does every URL name this machine's default port (127.0.0.1/localhost:5672)?
# then the host:port list (no credentials) for messages.
broker_state() {
  "${VENV}/bin/python" - <<'PY'
import os
import socket
from urllib.parse import urlsplit

default = "amqp://guest:guest@127.0.0.1:5672/"
urls = [u.strip() for u in (os.environ.get("RABBITMQ_URL") or default).split(",") if u.strip()]
nodes = [((p.hostname or "127.0.0.1"), (p.port or 5672)) for p in map(urlsplit, urls)]


def answers(node: tuple[str, int]) -> bool:
    try:
        socket.create_connection(node, 2).close()
    except OSError:
        return False
    return True


reachable = any(answers(node) for node in nodes)
local = all(host in ("127.0.0.1", "localhost") and port == 5672 for host, port in nodes)
shown = ", ".join(f"{host}:{port}" for host, port in nodes)
print("reachable" if reachable else "down", "local" if local else "remote", shown)
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

# A running RabbitMQ at RABBITMQ_URL. Only a broker on this machine's default port (RABBITMQ_URL
# unset, or naming 127.0.0.1/localhost:5672) is started here; any other is reported, not touched.
ensure_rabbitmq() {
  local state
  state="$(broker_state)"
  case "$state" in
    "reachable local"*) ensure_management_plugin; return 0 ;;
    reachable*) return 0 ;;
    "down remote"*)
      echo "setup: RabbitMQ at RABBITMQ_URL (${state#down remote }) is unreachable: start it there," \
        "or unset RABBITMQ_URL to use the local broker (127.0.0.1:5672), which setup starts" >&2
      return 1
      ;;
  esac
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "setup: installing rabbitmq-server (Debian package)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
  fi
  echo "setup: starting the local RabbitMQ (127.0.0.1:5672)" >&2
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do
    if [[ "$(broker_state)" == reachable* ]]; then
      ensure_management_plugin
      return 0
    fi
    sleep 1
  done
  echo "setup: RabbitMQ did not come up at 127.0.0.1:5672 within 60 s" >&2
  return 1
}
