package engine_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/engine"
	"github.com/stanceproject/stance/internal/syncbuf"
	"github.com/stanceproject/stance/internal/testmodel"
	"github.com/stanceproject/stance/linear"
)

var otherOnce = sync.OnceValues(func() (*linear.Model, error) {
	return testmodel.Train("engine-other", testmodel.Examples()[1:], testmodel.Labels)
})

// saved writes m into a new directory.
func saved(t *testing.T, m *linear.Model) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func twoModels(t *testing.T) (a, b *linear.Model) {
	t.Helper()
	a, err := modelOnce()
	if err != nil {
		t.Fatal(err)
	}
	if b, err = otherOnce(); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func versionOf(t *testing.T, r *engine.Registry, name string) string {
	t.Helper()
	res, err := r.Classify(context.Background(), []stance.Request{{Text: testmodel.NeutralText, Model: name}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Classify(model %q): %v %v", name, err, res[0].Err)
	}
	return res[0].ModelVersion
}

func TestOpen(t *testing.T) {
	a, b := twoModels(t)
	dirA, dirB := saved(t, a), saved(t, b)
	r, err := engine.Open(t.Context(), []engine.Source{{Dir: dirA}, {Name: "other", Dir: dirB}}, engine.Config{MaxTextBytes: 300}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Names(), ","); got != "engine,other" {
		t.Errorf("names = %s, want engine (the manifest's name of the bare DIR),other", got)
	}
	if versionOf(t, r, "") != a.ManifestRef().Version || versionOf(t, r, "engine") != a.ManifestRef().Version || versionOf(t, r, "other") != b.ManifestRef().Version {
		t.Errorf("models answer with the wrong versions")
	}
	if r.Limits().MaxTextBytes != 300 {
		t.Errorf("limits = %+v, want the configured 300 text bytes", r.Limits())
	}
	list, err := r.List(t.Context())
	if err != nil || len(list) != 2 || !list[0].Default || list[1].Default || list[1].Info.Name != "engine-other" {
		t.Errorf("List = %+v, %v; want engine (default) then other", list, err)
	}

	for _, tt := range []struct {
		name string
		src  []engine.Source
		want string
	}{
		{"missing dir", []engine.Source{{}, {Name: "gone", Dir: filepath.Join(t.TempDir(), "nope")}}, "model gone="},
		{"same name twice", []engine.Source{{Dir: dirA}, {Name: "engine", Dir: dirB}}, `the name "engine" is served twice`},
	} {
		_, err := engine.Open(t.Context(), tt.src, engine.Config{}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Open = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

func TestRegistryUnknownModel(t *testing.T) {
	a, _ := twoModels(t)
	r, err := engine.Open(t.Context(), []engine.Source{{Model: a}}, engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Classify(t.Context(), []stance.Request{{Text: testmodel.NeutralText}, {Text: testmodel.NeutralText, Model: "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || stance.Code(res[1].Err) != stance.ENotFound || !strings.Contains(res[1].Err.Error(), `model "nope" is not served; the served models are engine`) {
		t.Errorf("results = %v / %v, want the first answered and the second ENotFound naming the served models", res[0].Err, res[1].Err)
	}
	if _, err := r.ModelInfo(t.Context(), "nope"); stance.Code(err) != stance.ENotFound {
		t.Errorf("ModelInfo(nope) = %v, want ENotFound", err)
	}
	if _, err := r.ClassifyDocument(t.Context(), stance.DocumentRequest{Text: testmodel.NeutralText, Model: "nope"}); stance.Code(err) != stance.ENotFound {
		t.Errorf("ClassifyDocument(nope) = %v, want ENotFound", err)
	}
}

// TestReloadEachOnItsOwn breaks one model's directory and replaces the
// other's: the broken one keeps serving its old version, the other swaps.
func TestReloadEachOnItsOwn(t *testing.T) {
	a, b := twoModels(t)
	dirA, dirB := saved(t, a), saved(t, a)
	var log syncbuf.Buffer
	r, err := engine.Open(t.Context(), []engine.Source{{Name: "one", Dir: dirA}, {Name: "two", Dir: dirB}}, engine.Config{}, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirA, linear.ManifestFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(dirB); err != nil {
		t.Fatal(err)
	}
	err = r.Reload(t.Context())
	if err == nil || !strings.Contains(err.Error(), "model one") {
		t.Errorf("Reload = %v, want the rejection of model one", err)
	}
	if got := versionOf(t, r, "one"); got != a.ManifestRef().Version {
		t.Errorf("broken model serves %s, want its previous version %s", got, a.ManifestRef().Version)
	}
	if got := versionOf(t, r, "two"); got != b.ManifestRef().Version {
		t.Errorf("reloaded model serves %s, want the new version %s", got, b.ManifestRef().Version)
	}
	list, _ := r.List(t.Context())
	if list[0].FailedReloads != 1 || list[0].Reloads != 0 || list[1].Reloads != 1 || list[1].FailedReloads != 0 {
		t.Errorf("reload counts %+v, want one failure for one and one success for two", list)
	}
	if !strings.Contains(log.String(), "model reload rejected") {
		t.Errorf("log lacks the rejection:\n%s", log.String())
	}
}

// TestWatch publishes a new model into a watched directory.
func TestWatch(t *testing.T) {
	a, b := twoModels(t)
	dir := saved(t, a)
	r, err := engine.Open(t.Context(), []engine.Source{{Dir: dir}}, engine.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Watch(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	if err := b.Save(dir); err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); versionOf(t, r, "") != b.ManifestRef().Version; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the watched model did not reload within 10s")
		}
	}
}

func TestParseSources(t *testing.T) {
	got, err := engine.ParseSources([]string{"semeval=/m/semeval", "/m/news", "v2.1=/m/x=y", "/srv/a=b/c"})
	if err == nil || !strings.Contains(err.Error(), `"/srv/a=b/c": only one bare DIR`) {
		t.Errorf("a second bare DIR (with an = in its path): %v, want it refused", err)
	}
	got, err = engine.ParseSources([]string{"semeval=/m/semeval", "/m/news", "v2.1=/m/x=y"})
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.Source{{Dir: "/m/news"}, {Name: "semeval", Dir: "/m/semeval"}, {Name: "v2.1", Dir: "/m/x=y"}}
	if len(got) != len(want) {
		t.Fatalf("sources %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Dir != want[i].Dir {
			t.Errorf("source %d = %+v, want %+v (the bare DIR first, as the default)", i, got[i], want[i])
		}
	}
	if got, _ := engine.ParseSources(nil); len(got) != 1 || got[0].Dir != "" {
		t.Errorf("no values: %+v, want the embedded default alone", got)
	}
	if _, err := engine.ParseSources([]string{"news="}); err == nil || !strings.Contains(err.Error(), "directory is empty") {
		t.Errorf("NAME= without a directory: %v", err)
	}
}
