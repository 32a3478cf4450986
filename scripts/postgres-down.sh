#!/usr/bin/env bash
# Stop a cluster started by scripts/postgres-up.sh DIR and remove what it created in DIR.
#
#   scripts/postgres-down.sh DIR
#
# Safe to run twice, and on a DIR whose server is already stopped.
set -euo pipefail

die() { echo "postgres-down: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
dir=$(realpath -m "$1")
[ -d "$dir" ] || exit 0

bin=$(cat "$dir/pg_bin" 2>/dev/null || true)
user=$(cat "$dir/pg_user" 2>/dev/null || id -un)
if [ "$(id -u)" -eq 0 ] && [ "$user" != root ]; then
    as_user() { runuser -u "$user" -- "$@"; }
else
    as_user() { "$@"; }
fi

if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_user "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >&2 ||
        echo "postgres-down: pg_ctl stop failed; removing the files anyway" >&2
fi

rm -rf "$dir/data" "$dir/socket"
rm -f "$dir/initdb.log" "$dir/postgres.log" "$dir/pg_bin" "$dir/pg_user" "$dir/url"
rmdir "$dir" 2>/dev/null || true
