#!/usr/bin/env bash
# Offline bulk classification, side by side: stancectl classify --local and
# fastText's predict-prob (Debian's fasttext package), trained on the same
# data, on the same 100,000-sentence file, in the same run. Prints the
# whole-process wall time and peak memory of each.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v fasttext >/dev/null || { apt-get update -qq && apt-get install -y -qq fasttext; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
N=${N:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/" ./cmd/stancectl
# The same training data in fastText's format: __label__ prefixes, one line a sentence.
go run ./scripts/corpusfmt data/train.jsonl >"$work/train.txt"
# N sentences: the corpus's sentences, repeated.
go run ./scripts/corpusfmt -format text data/train.jsonl data/dev.jsonl >"$work/corpus.txt"
: >"$work/bulk.txt"
while [ "$(wc -l <"$work/bulk.txt")" -lt "$N" ]; do cat "$work/corpus.txt" >>"$work/bulk.txt"; done
head -n "$N" "$work/bulk.txt" >"$work/in.txt"

# One-vs-all loss gives fastText independent per-label probabilities, as
# Stance's one-vs-rest model; word bigrams as Stance's default features.
fasttext supervised -input "$work/train.txt" -output "$work/ft" -loss ova -wordNgrams 2 -epoch 25 -lr 0.5 -thread 2 -verbose 0

measure() { # name, command...
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out.$name"
	read -r secs kb <"$work/time"
	printf '%-9s %6.2f s wall  %6.0f MB peak RSS  %d lines out\n' "$name" "$secs" "$((kb / 1024))" "$(wc -l <"$work/out.$name")"
	echo "$secs" >"$work/secs.$name"
}
echo "$N sentences, $(nproc) cores"
measure fasttext fasttext predict-prob "$work/ft.bin" "$work/in.txt" -1 0.5
measure stance "$work/stancectl" classify --local --file "$work/in.txt" --json
awk -v f="$(cat "$work/secs.fasttext")" -v s="$(cat "$work/secs.stance")" 'BEGIN { printf "Stance/fastText wall-time ratio %.2f\n", s / f }'
