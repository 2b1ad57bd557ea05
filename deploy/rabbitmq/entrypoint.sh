#!/bin/sh
# The broker container's entrypoint: render the platform's RabbitMQ definitions (vhost, users,
# permissions, topic permissions) with passwords from the environment, then start RabbitMQ.
# Refuses to start when a password is missing, short, or not [A-Za-z0-9_-] (URL-safe; generate
# them with `python -m shared.messaging.provision --compose-env`). No password has a default.
set -eu
template=/etc/mpp/definitions.template.json
rendered=/tmp/mpp-definitions.json
content=$(cat "$template")
for var in $(grep -o '\${RABBITMQ_[A-Z_]*}' "$template" | tr -d '${}' | sort -u); do
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "rabbitmq: $var is not set (python -m shared.messaging.provision --compose-env)" >&2
    exit 1
  fi
  case "$value" in
    *[!A-Za-z0-9_-]*) echo "rabbitmq: $var may contain only A-Z a-z 0-9 _ -" >&2; exit 1 ;;
  esac
  if [ "${#value}" -lt 16 ]; then
    echo "rabbitmq: $var must be at least 16 characters" >&2
    exit 1
  fi
  content=$(printf '%s' "$content" | sed "s|\${$var}|$value|g")
done
umask 077
printf '%s\n' "$content" > "$rendered"
chown rabbitmq:rabbitmq "$rendered" 2>/dev/null || true
exec docker-entrypoint.sh rabbitmq-server
