package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stanceproject/stance"
	"github.com/stanceproject/stance/linear"
	"github.com/stanceproject/stance/models"
)

// Source is a model to serve.
type Source struct {
	// Name selects the model in requests; "" takes the manifest's name.
	Name string
	// Dir is the model directory; "" is the embedded default model, or
	// Model when set. Only models with a directory reload.
	Dir string
	// Model, when set and Dir is "", is served as it is.
	Model *linear.Model
}

// Registry serves several models side by side, each in an Engine of its
// own sharing one language detector and sentence splitter. It owns the
// models' life: loading, warm-up, reloads and the watch of their
// directories. It is safe for concurrent use.
type Registry struct {
	log    *slog.Logger
	models []*served // the default first
	byName map[string]*served
	limits stance.Limits
}

type served struct {
	Source
	eng *Engine
	// mu serialises the model's reloads, so that the version a reload
	// replaces is the one it read, and guards stamp.
	mu      sync.Mutex
	stamp   string
	reloads atomic.Int64
	failed  atomic.Int64
}

var _ stance.Models = (*Registry)(nil)

// Open loads, checks and warms each source; the first is the default.
// A model that fails to load stops Open with an error naming it.
func Open(ctx context.Context, sources []Source, cfg Config, log *slog.Logger) (*Registry, error) {
	if len(sources) == 0 {
		sources = []Source{{}}
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Registry{log: log, byName: map[string]*served{}}
	var shared *Engine
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The directory is stamped before it is read, so that a model
		// published while the server starts is loaded by the next check.
		stamp := DirStamp(src.Dir)
		m, err := src.load()
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", describe(src), err)
		}
		if src.Name == "" {
			src.Name = m.ManifestRef().Name
		}
		if _, dup := r.byName[src.Name]; dup {
			return nil, fmt.Errorf("model %s: the name %q is served twice", describe(src), src.Name)
		}
		if shared == nil {
			if shared, err = New(m, cfg); err != nil {
				return nil, err
			}
		}
		s := &served{Source: src, eng: shared.With(m), stamp: stamp}
		r.models = append(r.models, s)
		r.byName[src.Name] = s
	}
	r.limits = shared.Limits()
	return r, nil
}

// namePattern is what may precede "=" in NAME=DIR; anything else is a
// bare DIR.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ParseSources reads model sources written [NAME=]DIR: at most one bare
// DIR, the default model served under its manifest's name, and any number
// of NAME=DIR served beside it, in order. Without a bare DIR the embedded
// default model is the default.
func ParseSources(values []string) ([]Source, error) {
	out := []Source{{}}
	bare := false
	for _, v := range values {
		name, dir, ok := strings.Cut(v, "=")
		if !ok || !namePattern.MatchString(name) {
			if bare {
				return nil, fmt.Errorf("%q: only one bare DIR (the default model); name the others NAME=DIR", v)
			}
			out[0], bare = Source{Dir: v}, true
			continue
		}
		if dir == "" {
			return nil, fmt.Errorf("%q: the model directory is empty", v)
		}
		out = append(out, Source{Name: name, Dir: dir})
	}
	return out, nil
}

func describe(src Source) string {
	switch {
	case src.Model != nil:
		return src.Model.ManifestRef().Name
	case src.Dir == "":
		return "embedded default"
	case src.Name == "":
		return src.Dir
	}
	return src.Name + "=" + src.Dir
}

// load reads the source's model and checks that it classifies.
func (src Source) load() (*linear.Model, error) {
	m := src.Model
	if src.Dir != "" || m == nil {
		var err error
		if m, err = models.Load(src.Dir); err != nil {
			return nil, err
		}
	}
	if err := Warm(m); err != nil {
		return nil, err
	}
	return m, nil
}

// warmTexts exercise a model before it serves.
var warmTexts = []string{
	"The two countries should work together for a multipolar world and oppose hegemony.",
	"The ministry said in a statement on Tuesday that talks would resume next week.",
}

// Warm classifies and explains a few texts with m, so that a model that
// loads but cannot classify is caught before it serves, and its caches
// are filled.
func Warm(m *linear.Model) error {
	target := ""
	if t := m.ManifestRef().Targets; len(t) > 0 {
		target = t[0]
	}
	for _, t := range warmTexts {
		if _, err := m.Predict(t, target); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if _, err := m.Explain(t, target, []int{0}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	return nil
}

// pick returns the named model; "" is the default.
func (r *Registry) pick(name string) (*served, error) {
	if name == "" {
		return r.models[0], nil
	}
	if s, ok := r.byName[name]; ok {
		return s, nil
	}
	return nil, stance.Errorf(stance.ENotFound, "model %q is not served; the served models are %s", name, strings.Join(r.Names(), ", "))
}

// Names lists the served models' names, the default first.
func (r *Registry) Names() []string {
	names := make([]string, len(r.models))
	for i, s := range r.models {
		names[i] = s.Name
	}
	return names
}

// Engine returns the engine of the named model; "" is the default.
func (r *Registry) Engine(name string) (*Engine, error) {
	s, err := r.pick(name)
	if err != nil {
		return nil, err
	}
	return s.eng, nil
}

// Limits returns the input limits, the same for every model.
func (r *Registry) Limits() stance.Limits { return r.limits }

// Classify classifies each request with the model it names; a request
// naming a model that is not served fails alone, with ENotFound.
func (r *Registry) Classify(ctx context.Context, reqs []stance.Request) ([]stance.Result, error) {
	name := ""
	if len(reqs) > 0 {
		name = reqs[0].Model
	}
	same := true
	for _, q := range reqs {
		same = same && q.Model == name
	}
	if same { // the common case: one model for the whole call
		s, err := r.pick(name)
		if err != nil {
			out := make([]stance.Result, len(reqs))
			for i := range out {
				out[i].Err = err
			}
			return out, nil
		}
		return s.eng.Classify(ctx, reqs)
	}
	out := make([]stance.Result, len(reqs))
	byModel := map[string][]int{}
	for i, q := range reqs {
		byModel[q.Model] = append(byModel[q.Model], i)
	}
	for name, idx := range byModel {
		s, err := r.pick(name)
		if err != nil {
			for _, i := range idx {
				out[i].Err = err
			}
			continue
		}
		part := make([]stance.Request, len(idx))
		for j, i := range idx {
			part[j] = reqs[i]
		}
		res, err := s.eng.Classify(ctx, part)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = res[j]
		}
	}
	return out, nil
}

// ClassifyDocument classifies a document with the model it names.
func (r *Registry) ClassifyDocument(ctx context.Context, req stance.DocumentRequest) (stance.Document, error) {
	s, err := r.pick(req.Model)
	if err != nil {
		return stance.Document{}, err
	}
	return s.eng.ClassifyDocument(ctx, req)
}

// Info describes the default model.
func (r *Registry) Info(ctx context.Context) (stance.ModelInfo, error) {
	return r.models[0].eng.Info(ctx)
}

// ModelInfo describes the named model; "" is the default.
func (r *Registry) ModelInfo(ctx context.Context, name string) (stance.ModelInfo, error) {
	s, err := r.pick(name)
	if err != nil {
		return stance.ModelInfo{}, err
	}
	return s.eng.Info(ctx)
}

// List describes the served models, the default first.
func (r *Registry) List(ctx context.Context) ([]stance.ServedModel, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]stance.ServedModel, len(r.models))
	for i, s := range r.models {
		out[i] = stance.ServedModel{Name: s.Name, Default: i == 0, Info: InfoOf(s.eng.Model()),
			Reloads: s.reloads.Load(), FailedReloads: s.failed.Load()}
	}
	return out, nil
}

// Reload reads every model again from its directory, each on its own:
// one that fails to load or to classify is rejected with a log line and
// keeps its current version, while the others swap in. Calls in flight
// finish on the version they started with. The embedded default model
// does not reload. The error joins the rejections.
func (r *Registry) Reload(ctx context.Context) error {
	var errs []error
	for _, s := range r.models {
		if s.Dir == "" {
			r.log.Info("model not reloaded: it has no directory; serve it from one (--model DIR) to reload it", "model", s.Name)
			continue
		}
		if err := r.reload(ctx, s, false); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reload reloads s, or with onlyChanged only when its directory's stamp
// changed; it records the new stamp either way, so that a rejected model
// is retried when its files change again.
func (r *Registry) reload(ctx context.Context, s *served, onlyChanged bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp := DirStamp(s.Dir)
	if onlyChanged && stamp == s.stamp {
		return nil
	}
	s.stamp = stamp
	if err := ctx.Err(); err != nil {
		return err
	}
	old := s.eng.Model().ManifestRef()
	m, err := s.load()
	if err != nil {
		s.failed.Add(1)
		r.log.Warn("model reload rejected; the current model keeps serving", "model", s.Name, "err", err, "version", old.Version)
		return fmt.Errorf("model %s: %w", s.Name, err)
	}
	s.eng.Swap(m)
	s.reloads.Add(1)
	r.log.Info("model reloaded", "model", s.Name, "name", m.ManifestRef().Name, "version", m.ManifestRef().Version, "previous", old.Version)
	return nil
}

// Watch checks the models' directories every interval until ctx ends and
// reloads those whose files changed. Polling a stamp of the files rather
// than watching inotify events also catches the directory swaps (a
// symlink flipped to a new directory) that deployments use to publish a
// model atomically; a manifest that arrives before its weights is picked
// up once they land.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, s := range r.models {
				if s.Dir != "" {
					_ = r.reload(ctx, s, true) // logged and counted
				}
			}
		}
	}
}

// DirStamp identifies the current files of a model directory: the
// manifest's content and the size and modification time of the others.
// It is "" for the embedded default ("").
func DirStamp(dir string) string {
	if dir == "" {
		return ""
	}
	h := sha256.New()
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile, linear.LexiconFile} {
		p := filepath.Join(dir, name)
		if name == linear.ManifestFile {
			data, err := os.ReadFile(p)
			fmt.Fprintf(h, "%s %v %x\n", name, err, sha256.Sum256(data))
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(h, "%s %v\n", name, err)
			continue
		}
		fmt.Fprintf(h, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
	}
	return string(h.Sum(nil))
}
