#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the store's contract tests.
#
#   scripts/postgres-up.sh DIR [PORT]
#
# Creates DIR/data with initdb (UTF-8, trust auth for the local user "tsukuru"), starts the
# server on 127.0.0.1:PORT (a free port when not given; socket in DIR/socket), creates the
# database "tsukuru" and prints its URL, alone, on stdout (progress goes to stderr):
#
#   postgresql+psycopg://tsukuru@127.0.0.1:PORT/tsukuru
#
# e.g.  export TSUKURU_TEST_POSTGRES_URL="$(scripts/postgres-up.sh /tmp/tsukuru-pg)"
# PostgreSQL refuses to run as root: as root the server runs as the "postgres" user (or
# $PG_RUN_AS), which then owns DIR. Binaries come from $PG_BIN or the newest
# /usr/lib/postgresql/*/bin. Stop and remove it with scripts/postgres-down.sh DIR.
set -euo pipefail

die() { echo "postgres-up: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: $0 DIR [PORT]"
dir=$(realpath -m "$1")
port=${2:-}

bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$bin" ] && [ -x "$bin/initdb" ] ||
    die "no PostgreSQL binaries found (apt-get install -y postgresql, or set PG_BIN)"

if [ "$(id -u)" -eq 0 ]; then
    user=${PG_RUN_AS:-postgres}
    id "$user" >/dev/null 2>&1 || die "running as root needs a user '$user' to run the server"
    as_user() { runuser -u "$user" -- "$@"; }
else
    user=$(id -un)
    as_user() { "$@"; }
fi

if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

[ -e "$dir/data" ] && die "$dir/data exists already (run scripts/postgres-down.sh $dir first)"
mkdir -p "$dir/data" "$dir/socket"
chmod 755 "$dir" "$dir/socket"
chmod 700 "$dir/data"
[ "$(id -u)" -eq 0 ] && chown "$user" "$dir" "$dir/data" "$dir/socket"
as_user test -w "$dir/data" ||
    die "user '$user' cannot write $dir/data (choose a DIR every user can reach, e.g. under /tmp)"

as_user "$bin/initdb" --pgdata="$dir/data" --username=tsukuru --auth=trust \
    --encoding=UTF8 --locale=C --no-instructions >"$dir/initdb.log" 2>&1 ||
    die "initdb failed; see $dir/initdb.log"

# A test server: durability off, since the cluster is thrown away anyway.
as_user "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" --wait --timeout=60 \
    -o "-p $port -k $dir/socket -c listen_addresses=127.0.0.1 -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2 || die "the server did not start; see $dir/postgres.log"

as_user "$bin/createdb" --host="$dir/socket" --port="$port" --username=tsukuru tsukuru ||
    die "createdb failed"

printf '%s\n' "$bin" >"$dir/pg_bin"
printf '%s\n' "$user" >"$dir/pg_user"
url="postgresql+psycopg://tsukuru@127.0.0.1:$port/tsukuru"
printf '%s\n' "$url" >"$dir/url"
echo "postgres-up: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir/data)" >&2
echo "postgres-up: export TSUKURU_TEST_POSTGRES_URL=$url" >&2
echo "$url"
