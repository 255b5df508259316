#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test run and the benchmarks (Debian's `postgresql`).
#
#   bash scripts/postgres.sh start DIR   initdb a cluster in DIR, start it on a free local port,
#                                        create the database, print its URL on stdout
#   bash scripts/postgres.sh stop DIR    stop it (the caller removes DIR)
#
# PostgreSQL refuses to run as root: run as root, the cluster belongs to the `postgres` user
# that Debian's package creates.  Only 127.0.0.1 and a socket in DIR are listened on; the
# only account is `exporter`, trusted locally.
set -euo pipefail
action=${1:-}
dir=${2:-}
if [ -z "$action" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
pgbin=${PGBIN:-}
if [ -z "$pgbin" ]; then
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && pgbin=$candidate && break
  done
fi
if [ -z "$pgbin" ]; then
  echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi
as_owner=()
if [ "$(id -u)" = 0 ]; then
  as_owner=(runuser -u postgres --)
fi

case "$action" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  "${as_owner[@]}" "$pgbin/initdb" -D "$dir/data" -U exporter --auth=trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    if "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
      break
    fi
    port=
  done
  if [ -z "$port" ]; then
    cat "$dir/server.log" >&2 || true
    echo "postgres.sh: the server did not start" >&2
    exit 1
  fi
  "${as_owner[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U exporter exporter
  echo "postgresql://exporter@127.0.0.1:$port/exporter"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
