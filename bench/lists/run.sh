#!/usr/bin/env bash
# Import throughput of `plenary lists import` on SQLite and PostgreSQL,
# side by side with `notmuch new` indexing the same messages as a maildir.
#
#   bench/lists/run.sh                 # 100,000 messages
#   N=20000 bench/lists/run.sh         # fewer
#   PG=postgres://user@host:5432/postgres bench/lists/run.sh
#
# The archive is generated once per N under $WORK from the real samples in
# ../shared/testdata/mbox (bench/lists/gen); each tool starts from an empty
# store. Prints wall time, peak RSS and messages per second of each, and
# the ratio of notmuch's time to plenary's (above 1: plenary is faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}
WORK=${WORK:-/tmp/plenary-bench-lists}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres}
SAMPLES=${SAMPLES:-../shared/testdata/mbox}
PGDB=plenary_bench_lists
mkdir -p "$WORK"
command -v notmuch >/dev/null || apt-get install -y notmuch
[ -x /usr/bin/time ] || apt-get install -y time

go build -o "$WORK/plenary" ./cmd/plenary
go build -o "$WORK/gen" ./bench/lists/gen
DATA="$WORK/n$N"
if [ ! -f "$DATA/archive.mbox" ]; then
	rm -rf "$DATA"
	mkdir -p "$DATA"
	"$WORK/gen" -n "$N" -mbox "$DATA/archive.mbox" -maildir "$DATA/maildir" "$SAMPLES"/*.mbox
fi
MB=$(du -m "$DATA/archive.mbox" | cut -f1)
echo "archive: $N messages, $MB MB ($DATA)"

measure() { # name, command...: runs it under /usr/bin/time, prints "seconds rss_kb"
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || {
		echo "$name failed:" >&2
		cat "$WORK/$name.err" >&2
		exit 1
	}
	cat "$WORK/$name.time"
}

# plenary on SQLite
rm -rf "$WORK/sqlite"
"$WORK/plenary" lists create bench --description "Benchmark archive" --data "$WORK/sqlite" --base-url https://bench.example >/dev/null
read -r SQ_S SQ_KB < <(measure sqlite "$WORK/plenary" lists import bench "$DATA/archive.mbox" --data "$WORK/sqlite" --base-url https://bench.example)
tail -1 "$WORK/sqlite.out"

# plenary on PostgreSQL
PGURL="${PG%/*}/$PGDB"
psql -q "$PG" -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB"
rm -rf "$WORK/pgdata"
"$WORK/plenary" lists create bench --description "Benchmark archive" --data "$WORK/pgdata" --db "$PGURL" --base-url https://bench.example >/dev/null
read -r PG_S PG_KB < <(measure postgres "$WORK/plenary" lists import bench "$DATA/archive.mbox" --data "$WORK/pgdata" --db "$PGURL" --base-url https://bench.example)
tail -1 "$WORK/postgres.out"

# notmuch new on the same messages as a maildir
rm -rf "$DATA/maildir/.notmuch" "$WORK/nmhome"
mkdir -p "$WORK/nmhome"
cat >"$WORK/nmhome/config" <<CONF
[database]
path=$DATA/maildir
[user]
name=Bench
primary_email=bench@bench.example
[new]
tags=inbox;
[maildir]
synchronize_flags=false
CONF
read -r NM_S NM_KB < <(HOME="$WORK/nmhome" NOTMUCH_CONFIG="$WORK/nmhome/config" measure notmuch notmuch new)
tail -1 "$WORK/notmuch.out"
COUNT=$(HOME="$WORK/nmhome" NOTMUCH_CONFIG="$WORK/nmhome/config" notmuch count '*')

awk -v n="$N" -v sq="$SQ_S" -v sqk="$SQ_KB" -v pg="$PG_S" -v pgk="$PG_KB" -v nm="$NM_S" -v nmk="$NM_KB" -v c="$COUNT" 'BEGIN {
	printf "\n%-28s %10s %12s %10s %18s\n", "tool", "wall s", "messages/s", "peak MB", "notmuch / this"
	printf "%-28s %10.2f %12.0f %10.0f %18.2f\n", "plenary import, SQLite", sq, n/sq, sqk/1024, nm/sq
	printf "%-28s %10.2f %12.0f %10.0f %18.2f\n", "plenary import, PostgreSQL", pg, n/pg, pgk/1024, nm/pg
	printf "%-28s %10.2f %12.0f %10.0f %18s\n", "notmuch new (" c " indexed)", nm, n/nm, nmk/1024, "1.00"
}'
