# Stance — build, test and maintenance targets. Every tool is a pinned Go
# module version run with `go tool`, so a fresh machine needs only Go.

GO        ?= go
BUF       := $(GO) tool -modfile=tools/buf/go.mod buf
TOOL      := $(GO) tool -modfile=tools/go.mod
# Training data time stamps the model, so retraining is reproducible.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct -- data/train.jsonl data/dev.jsonl data/labels.json data/lexicon.json 2>/dev/null || echo 0)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: run
run: ## run the server on the embedded default model (localhost:50051)
	$(GO) run ./cmd/stanced

.PHONY: build
build: ## build stanced, stancectl and a pinned grpcurl into bin/
	$(GO) build -o bin/ ./cmd/...
	$(GO) build -modfile=tools/go.mod -o bin/ github.com/fullstorydev/grpcurl/cmd/grpcurl

.PHONY: test
test: ## run the tests with the race detector
	$(GO) test -race ./...

.PHONY: lint
lint: ## gofmt, go vet and buf lint
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(BUF) lint
	$(BUF) format -d --exit-code

# What the proto must stay compatible with: by default the commit before.
BREAKING_AGAINST ?= .git\#ref=HEAD~1
.PHONY: breaking
breaking: ## fail when the proto breaks the wire or JSON form of BREAKING_AGAINST (a buf input)
	$(BUF) breaking --against '$(BREAKING_AGAINST)'

.PHONY: generate
generate: ## regenerate the Go code of proto/
	$(BUF) generate

.PHONY: checkgenerate
checkgenerate: generate ## fail when the committed generated code is stale
	@git diff --exit-code -- gen || { echo "generated code is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen)" || { echo "untracked generated files:"; git status --porcelain -- gen; exit 1; }

# Debian's interpreter, which sees the python3-grpcio and python3-grpc-tools
# packages.
PYTHON ?= /usr/bin/python3
.PHONY: examples-python
examples-python: ## generate the Python example's stubs from proto/ (python3-grpc-tools)
	rm -rf examples/python/gen && mkdir -p examples/python/gen
	$(PYTHON) -m grpc_tools.protoc -I proto --python_out=examples/python/gen --grpc_python_out=examples/python/gen stance/v1/stance.proto

.PHONY: examples
examples: examples-python ## run the Python and Node example clients against a stanced on loopback
	cd examples/node && npm ci --no-audit --no-fund
	PYTHON=$(PYTHON) scripts/examples.sh

.PHONY: model
model: ## retrain the default model from data/ into models/default
	$(GO) run ./cmd/stancectl train --train data/train.jsonl --dev data/dev.jsonl --labels data/labels.json \
		--lexicon data/lexicon.json --grid default,default+concepts --l2 1e-6,3e-6,1e-5 --cv 5 \
		--out models/default --name news-diplomacy-en \
		--description "English news and diplomatic text: stances on world order, neutrality and partnership"

.PHONY: english-words
english-words: ## rebuild langid's English word list from the tokenizer and the training corpus
	$(GO) run ./scripts/englishwords data/train.jsonl

.PHONY: baseline
baseline: ## accept the default model's dev figures as the regression baseline
	$(GO) run ./cmd/stancectl eval --data data/dev.jsonl --write-baseline models/baseline-dev.json --quiet > /dev/null

.PHONY: data-check
data-check: ## check the corpus: format, labels, duplicates, near-duplicates, leakage
	$(GO) run ./cmd/stancectl data check data/train.jsonl data/dev.jsonl data/test.jsonl

.PHONY: gate
gate: ## fail when the default model's dev macro-F1 drops below its baseline
	$(GO) run ./cmd/stancectl eval --data data/dev.jsonl --baseline models/baseline-dev.json --max-drop 0.01 --quiet

.PHONY: ci
ci: lint checkgenerate data-check test gate ## everything CI runs

FUZZTIME ?= 30s
.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	$(GO) test ./tokenize -run '^$$' -fuzz '^FuzzEncode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./segment -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME)
	$(GO) test ./dataset -run '^$$' -fuzz '^FuzzReadJSONL$$' -fuzztime $(FUZZTIME)
	$(GO) test ./dataset -run '^$$' -fuzz '^FuzzReadSemEval$$' -fuzztime $(FUZZTIME)
	$(GO) test ./linear -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)

BENCHCOUNT ?= 6
.PHONY: bench
bench: ## run the benchmarks BENCHCOUNT times, benchstat-ready, and summarise them
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./tokenize ./langid ./linear ./engine ./server | tee bench.txt
	$(TOOL) benchstat bench.txt

.PHONY: load
load: ## load-test Classify against the health check with ghz (DURATION, CONCURRENCY)
	scripts/load.sh

.PHONY: hostile
hostile: ## run the hostile-client attacks at full size and print memory, CPU and health-check figures
	scripts/hostile.sh

.PHONY: fasttext-compare
fasttext-compare: ## bulk classification of 100,000 sentences against fastText (Debian's fasttext)
	scripts/fasttext-compare.sh

.PHONY: tokenizer
tokenizer: ## rebuild models/default/tokenizer.json from the tokenizer module's bert-base-uncased vocabulary (then make model)
	$(GO) run ./cmd/stancectl tokenizer build --out models/default/tokenizer.json \
		--vocab "$$($(GO) list -m -f '{{.Dir}}' github.com/sugarme/tokenizer)/pretrained/model/bert-base-uncased-vocab.txt"
