package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/models"
)

// buildGrpcurl builds the pinned grpcurl of tools/go.mod once per test
// binary.
var buildGrpcurl = sync.OnceValues(func() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	root, err := repoRoot(goBin)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-modfile=tools/go.mod", "-o", binDir, "github.com/fullstorydev/grpcurl/cmd/grpcurl")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build grpcurl: %w\n%s", err, out)
	}
	return filepath.Join(binDir, "grpcurl"), nil
})

// grpcurl calls method on addr with the JSON request body and returns the
// JSON response, or the error output when the call fails.
func grpcurl(t *testing.T, addr, method, body string) (map[string]any, string) {
	t.Helper()
	bin, err := buildGrpcurl()
	if err != nil {
		t.Fatalf("build grpcurl: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), rpcTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-plaintext", "-d", body, addr, "stance.v1.StanceService/"+method)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String()
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("grpcurl %s: %v\n%s", method, err, stdout.String())
	}
	return out, ""
}

// TestTwoModelsOverGrpcurl serves the embedded news model as the default
// and a target-conditioned model trained here on synthetic sentences
// beside it, and asks each by name with grpcurl, as a user would.
func TestTwoModelsOverGrpcurl(t *testing.T) {
	t.Parallel()
	bloc, err := testmodel.Train("bloc-stance", testmodel.TargetExamples(), nil)
	if err != nil {
		t.Fatal(err)
	}
	news, err := models.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	d := startStanced(t, freeAddr(t), "--model", "bloc="+saveModel(t, bloc))
	waitServing(t, d)

	list, msg := grpcurl(t, d.addr, "ListModels", `{}`)
	if msg != "" {
		t.Fatalf("ListModels: %s", msg)
	}
	var names []string
	for _, m := range list["models"].([]any) {
		names = append(names, m.(map[string]any)["name"].(string))
	}
	if want := []string{news.ManifestRef().Name, "bloc"}; !slices.Equal(names, want) {
		t.Errorf("ListModels names %q, want %q", names, want)
	}

	for _, tt := range []struct {
		name, body, version string
		label               string // a label the answer must hold
	}{
		{"default", `{"text": "China and Russia called for a multipolar world order free of hegemony."}`, news.ManifestRef().Version, ""},
		{"news by name", `{"text": "The talks will resume next week.", "model": "` + news.ManifestRef().Name + `"}`, news.ManifestRef().Version, ""},
		{"bloc favor", `{"text": "The government said that it strongly supports the bloc and wants it to grow.", "target": "NATO", "model": "bloc"}`, version(bloc), "favor"},
		{"bloc against", `{"text": "The minister condemned the bloc and its members for their pressure.", "target": "BRICS", "model": "bloc"}`, version(bloc), "against"},
	} {
		resp, msg := grpcurl(t, d.addr, "Classify", tt.body)
		if msg != "" {
			t.Errorf("%s: Classify failed: %s", tt.name, msg)
			continue
		}
		r := resp["result"].(map[string]any)
		if r["modelVersion"] != tt.version {
			t.Errorf("%s: modelVersion %v, want %s", tt.name, r["modelVersion"], tt.version)
		}
		if tt.label != "" && r["topLabel"] != tt.label {
			t.Errorf("%s: topLabel %v, want %s", tt.name, r["topLabel"], tt.label)
		}
	}
	info, msg := grpcurl(t, d.addr, "GetModelInfo", `{"model": "bloc"}`)
	if msg != "" || !slices.Contains(info["model"].(map[string]any)["targets"].([]any), "NATO") {
		t.Errorf("GetModelInfo(bloc) = %v %s, want the bloc model with its targets", info, msg)
	}
	_, msg = grpcurl(t, d.addr, "Classify", `{"text": "Hello there.", "model": "nope"}`)
	if !strings.Contains(msg, "NotFound") || !strings.Contains(msg, "bloc") {
		t.Errorf("unknown model: grpcurl said %q, want NotFound listing the served models", msg)
	}
}
