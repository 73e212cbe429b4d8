#!/usr/bin/env bash
# Start the services the test suite needs (sourced by .ci/run): a throw-away PostgreSQL cluster on
# a loopback port, owned by the postgres user. Exports CORRIDOR_TEST_POSTGRES_URL.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "${PGBIN}" ] && [ -z "${CORRIDOR_TEST_POSTGRES_URL:-}" ]; then
  PGDATA=$(mktemp -d /tmp/corridor-pg.XXXXXX)
  chown postgres "$PGDATA" 2>/dev/null || true
  PGPORT=${CORRIDOR_PGPORT:-54329}
  runas() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
  runas "$PGBIN/initdb -D $PGDATA -U postgres --auth=trust >/dev/null"
  runas "$PGBIN/pg_ctl -D $PGDATA -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $PGDATA/log -w start >/dev/null"
  runas "$PGBIN/createdb -h 127.0.0.1 -p $PGPORT -U postgres corridor_test"
  export CORRIDOR_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/corridor_test"
  trap 'runas "$PGBIN/pg_ctl -D $PGDATA -m fast stop >/dev/null" || true' EXIT
fi
