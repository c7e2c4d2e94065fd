#!/bin/sh
# Prometheus cannot read a secret from the environment, so the exporter's scrape token is written
# to the file prometheus.yml names, then Prometheus starts with the given arguments.
# EXPORTER_BEARER_TOKEN set: it becomes the file. Unset: a file mounted there is kept as it is,
# and a missing one is created empty (the exporter runs without auth).
set -eu
token_file="${PROMETHEUS_SECRETS_DIR:-/etc/prometheus/secrets}/exporter-bearer-token"
umask 077
if [ -n "${EXPORTER_BEARER_TOKEN:-}" ]; then
  printf '%s' "$EXPORTER_BEARER_TOKEN" > "$token_file"
elif [ ! -e "$token_file" ]; then
  : > "$token_file"
fi
unset EXPORTER_BEARER_TOKEN
exec "$@"
