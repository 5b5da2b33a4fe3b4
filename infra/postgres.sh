#!/usr/bin/env bash
# PostgreSQL for Volunteer, on a fresh Debian/Ubuntu machine. Idempotent.
#
#   infra/postgres.sh system [DB] [ROLE] [PASSWORD]
#       Installs PostgreSQL if missing, starts the machine's cluster, creates the role and the
#       database (defaults: volunteer / volunteer / volunteer) and prints the connection string.
#   infra/postgres.sh private DIR PORT
#       Starts a throwaway server owned by the postgres user with its data in DIR, listening on
#       127.0.0.1:PORT, with role and database "volunteer" (password "volunteer"). Prints its PID.
#       Used by the test command; stop it with `infra/postgres.sh stop DIR`. POSTGRES_OPTIONS adds server
#       settings ("-c name=value ..."): the benchmark's population mode sizes the server as an operator would.
#   infra/postgres.sh stop DIR
#       Stops the private server in DIR by its process id and removes DIR.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "Installing PostgreSQL…" >&2
    as_root apt-get update -q
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q postgresql >&2
  fi
}

bin_dir() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

as_postgres() { as_root runuser -u postgres -- "$@"; }

create_role_and_database() { # PORT HOST DB ROLE PASSWORD
  local port=$1 host=$2 db=$3 role=$4 password=$5
  as_postgres psql -h "$host" -p "$port" -d postgres -v ON_ERROR_STOP=1 -q >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE "$role" LOGIN PASSWORD '$password' CREATEDB;
  END IF;
END \$\$;
SQL
  if [ -z "$(as_postgres psql -h "$host" -p "$port" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    as_postgres createdb -h "$host" -p "$port" -O "$role" "$db" >&2
  fi
}

case "${1:-}" in
  system)
    db=${2:-volunteer}; role=${3:-volunteer}; password=${4:-volunteer}
    install_postgres
    version=$(basename "$(dirname "$(bin_dir)")")
    if ! pg_lsclusters -h | grep -q "^$version main"; then
      as_root pg_createcluster "$version" main >&2
    fi
    as_root pg_ctlcluster "$version" main start >&2 2>/dev/null || true
    port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
    create_role_and_database "$port" /var/run/postgresql "$db" "$role" "$password"
    echo "Host=127.0.0.1;Port=$port;Database=$db;Username=$role;Password=$password"
    ;;
  private)
    dir=${2:?data directory}; port=${3:?port}
    install_postgres
    bin=$(bin_dir)
    as_root mkdir -p "$dir"
    as_root chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
    fi
    # fsync stays on: tests of durability must run against a server that really makes commits durable.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 ${POSTGRES_OPTIONS:-}" start >/dev/null
    create_role_and_database "$port" "$dir" volunteer volunteer volunteer
    head -n 1 "$dir/data/postmaster.pid"
    ;;
  stop)
    dir=${2:?data directory}
    if [ -f "$dir/data/postmaster.pid" ]; then
      pid=$(head -n 1 "$dir/data/postmaster.pid")
      as_root kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    as_root rm -rf "$dir"
    ;;
  *)
    sed -n '2,15p' "$0"
    exit 2
    ;;
esac
