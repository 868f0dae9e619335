#!/usr/bin/env bash
# Start stanced on a free loopback port and run the Python and Node example
# clients against it; fail when either fails. Needs the Python stubs (make
# examples-python) and the Node packages (npm ci in examples/node).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}

mkdir -p bin
go build -o bin/ ./cmd/stanced
log=$(mktemp)
bin/stanced --addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*msg=serving addr=\([^ ]*\).*/\1/p' "$log")
	[ -n "$addr" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
if [ -z "$addr" ]; then
	echo "stanced did not start:" >&2
	cat "$log" >&2
	exit 1
fi

echo "== Python ($addr)"
timeout 60 "$PYTHON" examples/python/client.py "$addr"
echo "== Node ($addr)"
timeout 60 node examples/node/client.js "$addr"
