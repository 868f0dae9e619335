#!/usr/bin/env bash
# Hostile-client attacks at full size against a stanced with default flags:
# a header flood, idle streams, idle sockets, documents and batches
# abandoned at their deadline, a flood of unique words. Prints the server's
# memory, CPU and fresh health-check latency after each (the README's
# security figures). The test binary holds about 10,000 sockets at once:
# the file-descriptor limit is raised for it.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
STANCE_HOSTILE=full go test ./e2e -run '^TestHostile$' -count 1 -v -timeout 20m >"$out" 2>&1 || status=$?
grep -E 'FIGURE|idle RSS|hostile_test.go:[0-9]+: .*(want|failed)' "$out" | sed -E 's/^ *hostile_test.go:[0-9]+: (FIGURE )?//'
grep -E '^(--- |ok|FAIL)' "$out" || true
exit "$status"
