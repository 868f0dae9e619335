#!/usr/bin/env bash
# Load test: start stanced on the embedded model, drive it with ghz (a
# pinned Go module), first the health Check as the no-op baseline, then
# Classify with the same settings, and print QPS, p50/p99 and the ratio,
# with the server's start-up time and peak resident memory.
set -euo pipefail
# The bash time keyword reports a command's user and system CPU seconds;
# fd 3 keeps the command's own stderr on the terminal, apart from them.
TIMEFORMAT='%U %S'
exec 3>&2
cd "$(dirname "$0")/.."

ADDR=${ADDR:-127.0.0.1:50077}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
CONNECTIONS=${CONNECTIONS:-4}
GHZ_CPUS=${GHZ_CPUS:-1}
# With two cores or more, the server and ghz get one each, so that each
# one's share of its core shows which bounds the run.
if [ "$(nproc)" -ge 2 ]; then
	PIN_SERVER=${PIN_SERVER-taskset -c 0}
	PIN_GHZ=${PIN_GHZ-taskset -c 1}
else
	PIN_SERVER=${PIN_SERVER-} PIN_GHZ=${PIN_GHZ-}
fi
TEXT=${TEXT:-In the face of unilateral actions and hegemony, the two countries should deepen strategic cooperation and make global governance fairer, the spokesperson said.}

mkdir -p bin
go build -o bin/ ./cmd/stanced
go build -modfile=tools/ghz/go.mod -o bin/ github.com/bojand/ghz/cmd/ghz
log=$(mktemp)
$PIN_SERVER bin/stanced --addr "$ADDR" --log-level info >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log" "$log".*' EXIT
for _ in $(seq 100); do grep -q 'msg=serving' "$log" && break; sleep 0.1; done
grep -o 'startup=[^ ]*' "$log" | sed 's/^/stanced /'

# cpu prints the server's user+system CPU time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
tick=$(getconf CLK_TCK)

run() { # name, method, data
	local before start
	before=$(cpu)
	start=$(date +%s.%N)
	{ time $PIN_GHZ bin/ghz --insecure --cpus "$GHZ_CPUS" -c "$CONCURRENCY" --connections "$CONNECTIONS" \
		-z "$DURATION" --duration-stop wait --call "$2" -d "$3" "$ADDR" >"$log.$1" 2>&3; } 2>"$log.$1.time"
	awk -v name="$1" '
		/Requests\/sec:/ { qps = $2 }
		/ 50 % in/ { p50 = $4 " " $5 }
		/ 99 % in/ { p99 = $4 " " $5 }
		/Status code distribution:/ { codes = 1; next }
		codes && NF { errs = errs $0 "; " }
		END { printf "%-9s %10.0f QPS  p50 %-10s p99 %-10s %s\n", name, qps, p50, p99, errs; print qps > "/dev/stderr" }
	' "$log.$1" 2>"$log.$1.qps"
	# CPU per call and the share of a core each process kept busy: the one
	# near 100% is the bottleneck of the run.
	awk -v name="$1" -v used="$(($(cpu) - before))" -v tick="$tick" -v ghz="$(cat "$log.$1.time")" \
		-v start="$start" -v end="$(date +%s.%N)" -v total="$(grep -o 'Count:[^0-9]*[0-9]*' "$log.$1" | grep -o '[0-9]*$')" \
		'BEGIN { split(ghz, g, " "); s = used / tick; c = g[1] + g[2]; wall = end - start
			printf "%-9s server CPU %.1f µs per call (%.0f%% of a core), ghz %.1f µs per call (%.0f%%)\n", name, s / total * 1e6, 100 * s / wall, c / total * 1e6, 100 * c / wall
			print s / total > "/dev/stderr" }' 2>"$log.$1.cpu"
	rm -f "$log.$1" "$log.$1.time"
}
run health grpc.health.v1.Health.Check '{"service":""}'
run classify stance.v1.StanceService.Classify "{\"text\":\"$TEXT\"}"
# ClassifyBatch of 100 dev sentences: the server's CPU per sentence gives
# its capacity, whatever the load generator costs on the same cores.
go run ./scripts/corpusfmt -format batch -n 100 data/dev.jsonl >"$log.batchdata"
before=$(cpu)
$PIN_GHZ bin/ghz --insecure --cpus "$GHZ_CPUS" -c 4 --connections 2 -z "$DURATION" --duration-stop wait --call stance.v1.StanceService.ClassifyBatch -D "$log.batchdata" "$ADDR" >"$log.batch"
calls=$(grep -o 'Count:[^0-9]*[0-9]*' "$log.batch" | grep -o '[0-9]*$')
awk -v used="$(($(cpu) - before))" -v tick="$tick" -v n="$((calls * 100))" -v cores="$(nproc)" \
	'BEGIN { us = used / tick / n * 1e6; printf "batch     server CPU %.1f µs per sentence: %.0f sentences/s a core, %.0f on %d cores\n", us, 1e6 / us, cores * 1e6 / us, cores }'
rm -f "$log.batch" "$log.batchdata"
awk -v h="$(cat "$log.health.qps")" -v c="$(cat "$log.classify.qps")" -v hc="$(cat "$log.health.cpu")" -v cc="$(cat "$log.classify.cpu")" \
	'BEGIN { printf "Classify/health QPS ratio %.2f; server CPU per call ratio %.2f\n", c / h, hc / cc }'
grep VmHWM "/proc/$pid/status" | awk '{ printf "stanced peak RSS %.0f MB\n", $2 / 1024 }'
rm -f "$log".*.qps "$log".*.cpu
