#!/usr/bin/env bash
# Installs PostgreSQL from Debian packages when missing, starts it on loopback, and creates the InfraGuard test
# database with two roles:
#   infraguard_owner  owns the database; runs migrations and (in tests) plays the privileged attacker
#   infraguard_app    the application role: SELECT/INSERT on audit tables, no UPDATE, DELETE or TRUNCATE
# Prints shell assignments on stdout (progress goes to stderr), so callers can do:
#   eval "$(bash eng/postgres.sh)"
# which sets INFRAGUARD_TEST_PG (owner URL) and INFRAGUARD_TEST_PG_APP_ROLE (the role name to grant to).
# Idempotent: safe to run again. Needs root (apt-get, pg_ctlcluster, su postgres).
set -euo pipefail

db=${INFRAGUARD_PG_DB:-infraguard_test}
owner=infraguard_owner
app=infraguard_app
owner_pw=${INFRAGUARD_PG_OWNER_PASSWORD:-infraguard-owner-test}
app_pw=${INFRAGUARD_PG_APP_PASSWORD:-infraguard-app-test}
port=${INFRAGUARD_PG_PORT:-5432}

log() { printf 'postgres.sh: %s\n' "$*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main --port "$port" >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  log "starting cluster $version/main on 127.0.0.1:$port"
  pg_ctlcluster "$version" main start -o "-c listen_addresses=127.0.0.1" >&2
fi

for _ in $(seq 1 30); do
  su postgres -c "psql -qAtX -p $port -c 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done

psql_su() { su postgres -c "psql -qAtX -v ON_ERROR_STOP=1 -p $port $*"; }

psql_su -d postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$owner') THEN
    CREATE ROLE $owner LOGIN PASSWORD '$owner_pw';
  ELSE
    ALTER ROLE $owner LOGIN PASSWORD '$owner_pw';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$app') THEN
    CREATE ROLE $app LOGIN PASSWORD '$app_pw';
  ELSE
    ALTER ROLE $app LOGIN PASSWORD '$app_pw';
  END IF;
END
\$\$;
SQL

if [ -z "$(psql_su -d postgres -c "\"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" ]; then
  log "creating database $db"
  psql_su -d postgres -c "\"CREATE DATABASE $db OWNER $owner\"" >&2
fi
# The app role may connect and use schemas the owner grants it; it never owns audit tables, so it cannot disable
# their triggers or grant itself UPDATE/DELETE/TRUNCATE. Migrations (run as the owner) grant SELECT/INSERT only.
psql_su -d "$db" >&2 <<SQL
GRANT CONNECT, TEMPORARY ON DATABASE $db TO $app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO $app;
SQL

log "ready: database $db on 127.0.0.1:$port (owner $owner, app role $app)"
printf "export INFRAGUARD_TEST_PG='postgres://%s:%s@127.0.0.1:%s/%s'\n" "$owner" "$owner_pw" "$port" "$db"
printf "export INFRAGUARD_TEST_PG_APP='postgres://%s:%s@127.0.0.1:%s/%s'\n" "$app" "$app_pw" "$port" "$db"
printf "export INFRAGUARD_TEST_PG_APP_ROLE='%s'\n" "$app"
