#!/usr/bin/env bash
# Installs PostgreSQL (Debian's package) if missing, starts a server on loopback, and creates
# the propdesk test role and database. Prints the URL to use. Safe to run twice.
set -euo pipefail

# The client (psql) may be there without the server: look for the server binary.
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$version/main"; then
  pg_createcluster "$version" main >/dev/null
fi
# Loopback only: the integration tests never leave this machine.
echo "listen_addresses = '127.0.0.1'" > "/etc/postgresql/$version/main/conf.d/propdesk.conf"
pg_ctlcluster "$version" main start 2>/dev/null || true

for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done

su postgres -c "psql -q -v ON_ERROR_STOP=1 -h /var/run/postgresql" <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'propdesk') THEN
    CREATE ROLE propdesk LOGIN PASSWORD 'propdesk';
  END IF;
END $$;
SQL
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='propdesk_test'\" -h /var/run/postgresql" | grep -q 1; then
  su postgres -c "createdb -h /var/run/postgresql -O propdesk propdesk_test"
fi
echo "postgresql://propdesk:propdesk@127.0.0.1:5432/propdesk_test"
