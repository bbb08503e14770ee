#!/bin/sh
# bench/http/run.sh: plenary's pages under wrk, side by side with a bare
# net/http server answering a fixed page of the same size (bench/http/bare),
# in one run. See bench/README.md, "HTTP pages: plenary vs a bare net/http
# server", for what it prints and the goals.
#
#   bench/http/run.sh              # 10 s per wrk run, 2 threads, 32 connections
#   DUR=5s bench/http/run.sh       # shorter runs
#   PROFILE=/privacy bench/http/run.sh   # also a CPU profile of plenary under load on that page
#   FLAGS="--page-recheck 1s" bench/http/run.sh   # with more serve flags
#   ONLY=/privacy PROFILE=/privacy bench/http/run.sh   # that page alone, profiled
#   ONLY=/account PROFILE=signed-in:/account bench/http/run.sh   # a signed-in page, profiled
#   DB=postgres://postgres@127.0.0.1:5432/benchhttp bench/http/run.sh   # on PostgreSQL
#                                  # (an empty database: the script fills it with --demo)
set -eu

cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/plenary-bench-http}
DUR=${DUR:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18080}
BARE_PORT=${BARE_PORT:-18181}
BASE=http://127.0.0.1:$PORT
BARE=http://127.0.0.1:$BARE_PORT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
echo "building plenary and the bare server into $OUT"
go build -o "$OUT/plenary" ./cmd/plenary
go build -o "$OUT/bare" ./bench/http/bare
SERVER="$OUT/plenary serve"
if [ -n "${PROFILE:-}" ]; then
	# The same server with Go's profiler on a second loopback port.
	go build -o "$OUT/profiled" ./bench/http/profiled
	SERVER="$OUT/profiled -pprof=127.0.0.1:$((PORT + 2))"
fi

DBFLAG=
[ -n "${DB:-}" ] && DBFLAG="--db $DB"

start() {
	# Access logging is on, as in production: every request is a line in
	# $OUT/data/logs.
	$SERVER --demo $DBFLAG ${FLAGS:-} --data "$OUT/data" --addr "127.0.0.1:$PORT" --base-url "$BASE" \
		--instance bench >>"$OUT/plenary.log" 2>&1 &
	PID=$!
	i=0
	until curl -fs "$BASE/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 150 ] && { echo "plenary did not start; see $OUT/plenary.log" >&2; exit 1; }
		sleep 0.2
	done
}

"$OUT/bare" -addr "127.0.0.1:$BARE_PORT" >"$OUT/bare.log" 2>&1 &
BPID=$!
PID=
trap 'kill $PID $BPID 2>/dev/null || true' EXIT INT TERM
# The first start fills the database with the demo's content (and a month
# of made-up access logs); the second finds it filled, so the idle figure
# is that of a server that has only started.
start
kill $PID
wait $PID 2>/dev/null || true
start
until curl -fs "$BARE/1" >/dev/null 2>&1; do sleep 0.2; done
sleep 2

# Pages of the demo's content, found through the site's own links.
draft=$(curl -fs "$BASE/drafts" | grep -o 'href="/drafts/draft-[^"/]*"' | head -1 | cut -d'"' -f2)
list=$(curl -fs "$BASE/lists" | grep -o 'href="/lists/[a-z0-9-]*"' | head -1 | cut -d'"' -f2)
message=$(curl -fs "$BASE$list?view=date" | grep -o "href=\"$list/msg/[0-9]*\"" | head -1 | cut -d'"' -f2)
meeting=$(curl -fs "$BASE/meetings" | grep -o 'href="/meetings/[0-9]*"' | head -1 | cut -d'"' -f2)

# A signed-in session: the demo's admin account.
cookie=$(curl -s -D - -o /dev/null --data-urlencode "email=admin@demo.example" --data-urlencode "password=plenary-demo-password" \
	"$BASE/login" | tr -d '\r' | grep -i '^set-cookie:' | head -1 | sed 's/^[^:]*: *//; s/;.*//')
[ -n "$cookie" ] || { echo "signing in as admin@demo.example failed" >&2; exit 1; }

rss() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# ms converts wrk's latency ("812.00us", "1.20ms", "1.02s") to milliseconds.
ms() { echo "$1" | awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } else if (v ~ /m$/) { sub(/m$/, "", v); v *= 60000 }; printf "%.2f", v }'; }

# run URL [wrk options…]: prints "req/s p50ms p99ms non2xx"
run() {
	url=$1
	shift
	wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "$@" "$url" >"$OUT/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk.out")
	p50=$(awk '$1 == "50%" { print $2 }' "$OUT/wrk.out")
	p99=$(awk '$1 == "99%" { print $2 }' "$OUT/wrk.out")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$OUT/wrk.out")
	echo "$rps $(ms "$p50") $(ms "$p99") ${bad:-0}"
}

cat >"$OUT/delay.lua" <<'LUA'
-- Each connection waits between requests, which holds the rate near
-- CONNS * 1000 / WRK_DELAY_MS requests a second.
local d = tonumber(os.getenv("WRK_DELAY_MS"))
function delay() return d end
LUA

idle=$(rss $PID VmRSS)
echo "idle RSS after start: $idle MB"
echo
printf '%-28s %-8s %9s %9s %6s %7s %7s | %9s %7s | %s\n' page bytes "plenary/s" "bare/s" ratio "p50 ms" "p99 ms" "half r/s" "p99 ms" "checks"

page() { # name path [cookie]
	name=$1 path=$2 ck=${3:-}
	# ONLY=PATH measures that page alone (with PROFILE, to profile it).
	[ -n "${ONLY:-}" ] && [ "$ONLY" != "$path" ] && return
	if [ -n "$ck" ]; then
		set -- -H "Cookie: $ck"
		status=$(curl -s -o "$OUT/page.html" -w '%{http_code}' -H "Cookie: $ck" "$BASE$path")
	else
		set --
		status=$(curl -s -o "$OUT/page.html" -w '%{http_code}' "$BASE$path")
	fi
	size=$(wc -c <"$OUT/page.html")
	if [ "$status" != 200 ]; then
		echo "$name: $path answered $status" >&2
		return
	fi
	# PROFILE=PATH profiles the anonymous page, PROFILE=signed-in:PATH
	# the signed-in one.
	if [ -n "${PROFILE:-}" ] && { { [ "$PROFILE" = "$path" ] && [ -z "$ck" ]; } || { [ "$PROFILE" = "signed-in:$path" ] && [ -n "$ck" ]; }; }; then
		curl -s "http://127.0.0.1:$((PORT + 2))/debug/pprof/profile?seconds=8" -o "$OUT/cpu.pprof" &
		PPID2=$!
	fi
	set -- $(run "$BASE$path" "$@") "$@"
	p_rps=$1 p50=$2 p99=$3 p_bad=$4
	shift 4
	if [ -n "${PPID2:-}" ]; then wait $PPID2; PPID2=; echo "CPU profile of $path: $OUT/cpu.pprof (go tool pprof -top $OUT/profiled $OUT/cpu.pprof)" >&2; fi
	b=$(run "$BARE/$size")
	b_rps=$(echo "$b" | cut -d' ' -f1)
	ratio=$(awk -v p="$p_rps" -v b="$b_rps" 'BEGIN { printf "%.2f", p / b }')
	# Half of plenary's own peak rate.
	delay=$(awk -v r="$p_rps" -v c="$CONNS" 'BEGIN { d = int(c * 1000 / (r / 2) + 0.5); if (d < 1) d = 1; print d }')
	h=$(WRK_DELAY_MS=$delay run "$BASE$path" -s "$OUT/delay.lua" "$@")
	h_rps=$(echo "$h" | cut -d' ' -f1)
	h99=$(echo "$h" | cut -d' ' -f3)
	goal=0.5
	[ -n "$ck" ] && goal=0.25
	check=$(awk -v r="$ratio" -v g="$goal" -v p="$h99" -v bad="$p_bad" 'BEGIN {
		s = (r >= g) ? "ratio ok" : "RATIO < " g
		s = s ((p < 20) ? ", p99 ok" : ", P99 >= 20ms")
		if (bad > 0) s = s ", " bad " non-2xx"
		print s }')
	printf '%-28s %-8s %9.0f %9.0f %6s %7s %7s | %9.0f %7s | %s\n' "$name" "$size" "$p_rps" "$b_rps" "$ratio" "$p50" "$p99" "$h_rps" "$h99" "$check"
}

page "home /" /
page "privacy /privacy" /privacy
page "draft" "$draft"
page "archive message" "$message"
page "search /drafts?q=ietf" "/drafts?q=ietf"
page "meeting" "$meeting"
page "signed in: home /" / "$cookie"
page "signed in: /account" /account "$cookie"

echo
echo "RSS: idle $idle MB, peak under load (VmHWM) $(rss $PID VmHWM) MB, now $(rss $PID VmRSS) MB"
echo "access log lines written: $(cat "$OUT"/data/logs/* 2>/dev/null | wc -l)"
echo "database: ${DB:-SQLite in $OUT/data}; flags: ${FLAGS:-none}; pages: draft $draft, message $message, meeting $meeting; $THREADS threads, $CONNS connections, $DUR per run"
