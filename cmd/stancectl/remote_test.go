package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/server"
)

// serve serves the model in dir, and the models beside it, over gRPC on a
// loopback port until the test ends, and returns the address.
func serve(t *testing.T, dir string, beside ...engine.Source) string {
	t.Helper()
	reg, err := engine.Open(t.Context(), append([]engine.Source{{Dir: dir}}, beside...), engine.Config{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("engine.Open: %v", err)
	}
	srv, err := server.New(reg, server.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	g, err := server.NewGRPC(srv, server.GRPCConfig{})
	if err != nil {
		t.Fatalf("server.NewGRPC: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()
	srv.SetReady(true)
	t.Cleanup(func() {
		g.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// TestEvalRemoteEqualsLocal checks that evaluating over gRPC gives the very
// figures of evaluating in process, plus latency.
func TestEvalRemoteEqualsLocal(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	addr := serve(t, f.model)

	local := evalJSON(t, "--model", f.model, "--data", f.dev, "--bootstrap", "100")
	remote := evalJSON(t, "--addr", addr, "--data", f.dev, "--bootstrap", "100")

	wantKeys(t, "in-process report", local, "n", "macro_f1", "macro_f1_ci", "per_label", "per_label_f1_ci", "calibration", "confusion")
	lat, ok := remote["latency"].(map[string]any)
	if !ok {
		t.Fatalf("the --addr report has no latency object: %v", remote["latency"])
	}
	wantKeys(t, "latency", lat, "p50_ms", "p90_ms", "p99_ms", "throughput")
	for _, k := range []string{"p50_ms", "p90_ms", "p99_ms", "throughput"} {
		if v, _ := lat[k].(float64); v <= 0 {
			t.Errorf("latency %s = %v, want a positive number", k, lat[k])
		}
	}
	if calls, want := lat["calls"], local["n"]; calls != want {
		t.Errorf("latency calls = %v, want one per item (%v)", calls, want)
	}
	if _, ok := local["latency"]; ok {
		t.Errorf("the in-process report has latency: %v", local["latency"])
	}
	delete(remote, "latency")
	delete(local, "latency")
	if !reflect.DeepEqual(local, remote) {
		for k := range local {
			if !reflect.DeepEqual(local[k], remote[k]) {
				t.Errorf("%s: in process %v, over gRPC %v", k, local[k], remote[k])
			}
		}
		for k := range remote {
			if _, ok := local[k]; !ok {
				t.Errorf("%s: only over gRPC: %v", k, remote[k])
			}
		}
	}
}

// TestClassifyRemoteEqualsLocal checks classify --addr against --local with
// the same model, a line without content included.
func TestClassifyRemoteEqualsLocal(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	addr := serve(t, f.model)
	input := strings.Join([]string{
		"Kenya said that a multipolar world is taking shape and that the Global South should have a greater voice in global governance.",
		"\u200b...",
		"The delegation from Fiji arrived in the capital on Monday and the talks will begin on Tuesday.",
	}, "\n") + "\n"

	var outs [2][]map[string]any
	for i, mode := range [][]string{{"--local", "--model", f.model}, {"--addr", addr, "--timeout", "10s"}} {
		stdout, stderr, err := cli(t, input, append([]string{"classify", "--json"}, mode...)...)
		wantExit(t, err, 1)
		if !strings.Contains(stderr, "stdin:2: text has no content") {
			t.Errorf("%s: stderr = %q, want stdin:2: text has no content", mode[0], stderr)
		}
		outs[i] = jsonLines(t, stdout)
	}
	if len(outs[0]) != 3 || !reflect.DeepEqual(outs[0], outs[1]) {
		t.Errorf("classify --local printed\n%v\nclassify --addr printed\n%v\nwant 3 equal lines", outs[0], outs[1])
	}
}

// TestEvalNoServer checks that eval over gRPC stops at the first failed
// call instead of trying every remaining example.
func TestEvalNoServer(t *testing.T) {
	t.Parallel()
	var subjects []string
	for i := range 100 {
		subjects = append(subjects, fmt.Sprintf("Country %d", i))
	}
	data := writeFile(t, t.TempDir(), "big.jsonl", synthJSONL(subjects))
	start := time.Now()
	_, stderr, err := cli(t, "", "eval", "--quiet", "--addr", "127.0.0.1:1", "--data", data)
	if err == nil {
		t.Fatalf("eval with no server returned nil; stderr:\n%s", stderr)
	}
	if !strings.Contains(err.Error(), data+":") {
		t.Errorf("err = %v, want it to name the line of the failed call", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("eval took %v to fail on 300 examples, want it to stop at the first failed call", elapsed)
	}
}

// TestModelName chooses the served model by name: info, classify and doc
// answer with the named model, and an unknown name fails naming the served
// ones.
func TestModelName(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	addr := serve(t, f.model, engine.Source{Name: "news"}) // the embedded default beside the trained model
	var info struct{ Name, Version string }
	for _, tt := range []struct{ name, want string }{{"", "stance"}, {"news", "news-diplomacy-en"}} {
		stdout, _ := mustCLI(t, "info", "--addr", addr, "--json", "--model-name", tt.name)
		if err := json.Unmarshal([]byte(stdout), &info); err != nil {
			t.Fatal(err)
		}
		if info.Name != tt.want {
			t.Errorf("info --model-name %q: model %q, want %q", tt.name, info.Name, tt.want)
		}
	}
	stdout, _ := mustCLI(t, "classify", "--addr", addr, "--json", "--model-name", "news", "China called for a multipolar world.")
	if !strings.Contains(strings.ReplaceAll(stdout, " ", ""), `"modelVersion":"`+info.Version+`"`) {
		t.Errorf("classify --model-name news printed %s, want the news model's version %s", stdout, info.Version)
	}
	stdout, _, err := cli(t, "China called for a multipolar world.", "doc", "--addr", addr, "--json", "--model-name", "news")
	var doc struct{ ModelVersion string }
	if err == nil {
		err = json.Unmarshal([]byte(stdout), &doc)
	}
	if err != nil || doc.ModelVersion != info.Version {
		t.Errorf("doc --model-name news: %v, version %q; want the news model's version %s", err, doc.ModelVersion, info.Version)
	}
	_, _, err = cli(t, "", "info", "--addr", addr, "--model-name", "nope")
	if err == nil || !strings.Contains(err.Error(), `model "nope" is not served; the served models are stance, news`) {
		t.Errorf("info --model-name nope = %v, want the served models named", err)
	}
	_, _, err = cli(t, "", "info", "--local", "--model-name", "news")
	if err == nil || !strings.Contains(err.Error(), "--model-name chooses among a server's models") {
		t.Errorf("info --local --model-name = %v, want a clear refusal", err)
	}
}
