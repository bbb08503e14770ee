#!/usr/bin/env bash
# Benchmark `plenary logs report` against GoAccess on the same log files:
# wall time and peak memory (median of RUNS runs each, under /usr/bin/time -v),
# and an exact agreement check of the figures both tools report.
#
#   bench/logs/run.sh                 # 1M generated lines + the real logs
#   BENCH_10M=1 bench/logs/run.sh     # also 10M lines (plenary only, to show flat memory)
#   BENCH_10M_GOACCESS=1 ...          # and GoAccess on 10M too (slow: minutes per run)
#
# Environment: RUNS (default 3), BENCH_DIR (default /tmp/plenary-bench-logs;
# generated logs are large and never belong in git), REAL_LOGS (default
# ../shared/testdata/logs beside the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
WORK=${BENCH_DIR:-/tmp/plenary-bench-logs}
RUNS=${RUNS:-3}
REAL_LOGS=${REAL_LOGS:-$ROOT/../shared/testdata/logs}
mkdir -p "$WORK"

install() {
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$@"; else sudo apt-get install -y "$@"; fi
}
command -v goaccess >/dev/null || install goaccess
[ -x /usr/bin/time ] || install time

echo "== building"
go build -o "$WORK/plenary" ./cmd/plenary
go build -o "$WORK/gen" ./bench/logs/gen
go build -o "$WORK/agree" ./bench/logs/agree
[ -s "$WORK/1m.log" ] || "$WORK/gen" -n 1000000 -o "$WORK/1m.log"
if [ -n "${BENCH_10M:-}${BENCH_10M_GOACCESS:-}" ]; then
	[ -s "$WORK/10m.log" ] || "$WORK/gen" -n 10000000 -o "$WORK/10m.log"
	# The 1M log ten times over: ten times the lines, the very same keys.
	[ -s "$WORK/1mx10.log" ] || for i in $(seq 10); do cat "$WORK/1m.log"; done >"$WORK/1mx10.log"
fi

# measure OUT CMD...: run CMD under /usr/bin/time; print "seconds kilobytes".
measure() {
	local out=$1; shift
	/usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/stderr.txt" || {
		cat "$WORK/stderr.txt" >&2; return 1; }
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
		/Maximum resident set size/ { rss = $2 }
		END { printf "%.2f %d\n", wall, rss }' "$WORK/time.txt"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench NAME FILE [goaccess]: RUNS alternating runs of both tools.
bench() {
	local name=$1 file=$2 with_goaccess=${3:-yes}
	local pw="" pm="" gw="" gm=""
	for run in $(seq "$RUNS"); do
		read -r w m < <(measure "$WORK/$name.plenary.json" "$WORK/plenary" logs report --format json "$file")
		pw+="$w"$'\n'; pm+="$m"$'\n'
		if [ "$with_goaccess" = yes ]; then
			# --no-global-config: GoAccess's defaults, whatever /etc/goaccess says.
			read -r w m < <(measure /dev/null goaccess "$file" --no-global-config --log-format=COMBINED -o "$WORK/$name.goaccess.json")
			gw+="$w"$'\n'; gm+="$m"$'\n'
		fi
	done
	local pwm pmm gwm gmm
	pwm=$(printf %s "$pw" | median); pmm=$(printf %s "$pm" | median)
	if [ "$with_goaccess" = yes ]; then
		gwm=$(printf %s "$gw" | median); gmm=$(printf %s "$gm" | median)
		printf "%-36s plenary %7.2fs %8d KB | goaccess %7.2fs %8d KB | time x%.1f  memory x%.1f\n" \
			"$name" "$pwm" "$pmm" "$gwm" "$gmm" "$(awk "BEGIN{print $gwm/($pwm > 0.01 ? $pwm : 0.01)}")" "$(awk "BEGIN{print $gmm/$pmm}")"
		"$WORK/agree" "$file" "$WORK/$name.goaccess.json" "$WORK/$name.plenary.json" | sed 's/^/    /'
	else
		printf "%-36s plenary %7.2fs %8d KB\n" "$name" "$pwm" "$pmm"
	fi
}

echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(goaccess --version | head -1), $(go version | cut -d' ' -f3), median of $RUNS runs"
echo "   (ratios are GoAccess / plenary: how many times faster and smaller plenary is)"
bench 1m "$WORK/1m.log"
if [ -n "${BENCH_10M_GOACCESS:-}" ]; then
	bench 10m "$WORK/10m.log"
elif [ -n "${BENCH_10M:-}" ]; then
	bench 10m "$WORK/10m.log" no
fi
if [ -n "${BENCH_10M:-}${BENCH_10M_GOACCESS:-}" ]; then
	bench 1mx10 "$WORK/1mx10.log" no
fi
if [ -d "$REAL_LOGS" ]; then
	for f in "$REAL_LOGS"/*.log; do
		bench "$(basename "$f" .log)" "$f"
	done
else
	echo "real logs not found in $REAL_LOGS; skipped"
fi
