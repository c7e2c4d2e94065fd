#!/bin/sh
# The environment is the source of truth for Grafana's admin password. Grafana itself reads
# GF_SECURITY_ADMIN_PASSWORD only when it creates its database, and ignores an empty one, so:
# - public (GRAFANA_PUBLIC=true, or any Railway deploy): an unset, empty or `admin` password
#   stops the start with one line;
# - set: it must be longer than 4 bytes, and it is applied at every start, before the server runs,
#   so a password changed in the UI is reset. On the very first start (no database yet) Grafana
#   creates the admin with it itself. The reset targets user id 1, the admin that first start created:
#   GF_SECURITY_ADMIN_USER, like the password, is read by Grafana only then.
# Then the image's own entrypoint (/run.sh) starts the server with the given arguments.
set -eu
password="${GF_SECURITY_ADMIN_PASSWORD:-}"
if [ "${GRAFANA_PUBLIC:-false}" = true ] || [ -n "${RAILWAY_ENVIRONMENT:-}${RAILWAY_ENVIRONMENT_ID:-}" ]; then
  case "$password" in
    "" | admin)
      echo "grafana: GF_SECURITY_ADMIN_PASSWORD must be set to a password other than 'admin' when Grafana is public" >&2
      exit 2 ;;
  esac
fi
# `grafana cli admin reset-admin-password` refuses a password of 4 bytes or fewer (models.Password.IsWeak:
# len <= 4), though the first start accepts one: refuse it now, not on every start after the first.
if [ -n "$password" ] && [ $(( $(printf '%s' "$password" | wc -c) )) -le 4 ]; then
  echo "grafana: GF_SECURITY_ADMIN_PASSWORD must be longer than 4 characters" >&2
  exit 2
fi
first_start=false
if [ "${GF_DATABASE_TYPE:-sqlite3}" = sqlite3 ] && [ ! -e "$GF_PATHS_DATA/grafana.db" ]; then
  first_start=true
fi
if [ -n "$password" ] && [ "$first_start" = false ]; then
  # On stdin, not as an argument: a command line is visible to every process in the container.
  if ! printf '%s\n' "$password" | grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" \
      admin reset-admin-password --password-from-stdin >&2; then
    echo "grafana: could not apply GF_SECURITY_ADMIN_PASSWORD (grafana cli admin reset-admin-password failed)" >&2
    exit 1
  fi
fi
unset password
exec /run.sh "$@"
