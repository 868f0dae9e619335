package linear

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/stanceproject/stance/tokenize"
)

// FormatVersion is the artifact layout this package reads and writes.
const FormatVersion = 1

// Artifact file names.
const (
	ManifestFile  = "manifest.json"
	TokenizerFile = "tokenizer.json"
	WeightsFile   = "weights.safetensors"
	// LexiconFile is present when the features use concepts.
	LexiconFile = "lexicon.json"
)

// Manifest describes an artifact; it is manifest.json.
type Manifest struct {
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	// Version is derived from the weights and settings, so retraining on
	// the same data reproduces it.
	Version        string       `json:"version"`
	Description    string       `json:"description,omitempty"`
	Languages      []string     `json:"languages"`
	Labels         []LabelEntry `json:"labels"`
	ExclusiveLabel string       `json:"exclusive_label,omitempty"`
	MultiLabel     bool         `json:"multi_label"`
	Features       Features     `json:"features"`
	Targets        []string     `json:"targets,omitempty"`
	// Files maps each artifact file to its SHA-256.
	Files           map[string]string             `json:"files"`
	Data            map[string]DataRef            `json:"data,omitempty"`
	Hyperparameters Hyperparameters               `json:"hyperparameters"`
	Metrics         map[string]map[string]float64 `json:"metrics,omitempty"`
	Created         string                        `json:"created"`
}

// LabelEntry is one label of a manifest.
type LabelEntry struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Threshold   float64 `json:"threshold"`
}

// DataRef identifies a data file a model was trained or tuned on.
type DataRef struct {
	File     string `json:"file"`
	SHA256   string `json:"sha256"`
	Examples int    `json:"examples"`
}

// Hyperparameters records how a model was trained.
type Hyperparameters struct {
	L2 float64 `json:"l2"`
	// Solver names the optimiser, so a model tells how it was fitted.
	Solver        string `json:"solver,omitempty"`
	MaxIterations int    `json:"max_iterations"`
	Seed          uint64 `json:"seed"`
	CVFolds       int    `json:"cv_folds,omitempty"`
	// Grid lists the settings cross-validation compared, with their scores.
	Grid []GridPoint `json:"grid,omitempty"`
	// Thresholds says where the thresholds came from: "dev" or "cv".
	Thresholds string `json:"thresholds"`
}

// GridPoint is one cross-validated setting.
type GridPoint struct {
	L2       float64  `json:"l2"`
	Features Features `json:"features"`
	MacroF1  float64  `json:"macro_f1"`
}

// Save writes the model as an artifact directory, creating it if needed.
func (m *Model) Save(dir string) error {
	weights, err := m.encodeWeights()
	if err != nil {
		return err
	}
	man := m.Manifest()
	man.Files = map[string]string{TokenizerFile: sha(m.tokJSON), WeightsFile: sha(weights)}
	files := []struct {
		name string
		data []byte
	}{{TokenizerFile, m.tokJSON}, {WeightsFile, weights}}
	if m.lexJSON != nil {
		man.Files[LexiconFile] = sha(m.lexJSON)
		files = append(files, struct {
			name string
			data []byte
		}{LexiconFile, m.lexJSON})
	}
	manJSON, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Each file is written under a temporary name and renamed into place,
	// the manifest last, so that a server watching dir never reads a
	// half-written file and sees the new manifest only with its files.
	files = append(files, struct {
		name string
		data []byte
	}{ManifestFile, append(manJSON, '\n')})
	for _, f := range files {
		tmp := filepath.Join(dir, "."+f.name+".tmp")
		if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
	}
	return nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (m *Model) encodeWeights() ([]byte, error) {
	L := uint64(len(m.labels))
	w, err := safetensors.NewTensorView(safetensors.F32, []uint64{uint64(m.manifest.Features.Dim), L}, f32bytes(m.weights))
	if err != nil {
		return nil, err
	}
	b, err := safetensors.NewTensorView(safetensors.F32, []uint64{L}, f32bytes(m.bias))
	if err != nil {
		return nil, err
	}
	return safetensors.Serialize(map[string]safetensors.TensorView{"weights": w, "bias": b},
		map[string]string{"format": "stance-linear", "labels": strings.Join(m.labels, ",")})
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// LoadDir loads and validates the artifact in dir.
func LoadDir(dir string) (*Model, error) {
	m, err := Load(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", dir, err)
	}
	return m, nil
}

// Load loads and validates an artifact from the root of fsys. Every
// problem — a missing or truncated file, a checksum or shape mismatch, an
// unknown format version — is an error naming the file.
func Load(fsys fs.FS) (*Model, error) {
	manJSON, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(manJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	if err := man.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestFile, err)
	}
	files := map[string][]byte{}
	names := []string{TokenizerFile, WeightsFile}
	if man.Features.Concepts {
		names = append(names, LexiconFile)
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		want, ok := man.Files[name]
		if !ok {
			return nil, fmt.Errorf("%s: no checksum for %s", ManifestFile, name)
		}
		if got := sha(data); got != want {
			return nil, fmt.Errorf("%s: SHA-256 %s does not match the manifest's %s (file changed or truncated)", name, got, want)
		}
		files[name] = data
	}
	// The tokenizer parses while the weights decode: each is about half of
	// the loading time.
	var tok *tokenize.Tokenizer
	var tokErr error
	parsed := make(chan struct{})
	go func() {
		tok, tokErr = tokenize.Load(files[TokenizerFile])
		close(parsed)
	}()
	weights, bias, err := decodeWeights(files[WeightsFile], man.Features.Dim, len(man.Labels))
	<-parsed
	if tokErr != nil {
		return nil, tokErr // tokenize's errors name tokenizer.json
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", WeightsFile, err)
	}
	m := newModel(man, tok, files[TokenizerFile], weights, bias)
	if man.Features.Concepts {
		if err := m.setLexicon(files[LexiconFile]); err != nil {
			return nil, fmt.Errorf("%s: %w", LexiconFile, err)
		}
	}
	return m, nil
}

// setLexicon parses, compiles and attaches the model's lexicon.
func (m *Model) setLexicon(data []byte) error {
	lx, err := ParseLexicon(data)
	if err != nil {
		return err
	}
	if m.lex, err = compileLexicon(lx, m.tok); err != nil {
		return err
	}
	m.lexJSON = data
	return nil
}

func newModel(man Manifest, tok *tokenize.Tokenizer, tokJSON []byte, weights, bias []float32) *Model {
	m := &Model{
		manifest:  man,
		tok:       tok,
		tokJSON:   tokJSON,
		weights:   weights,
		bias:      bias,
		exclusive: -1,
		targets:   map[string]uint64{},
	}
	for i, l := range man.Labels {
		m.labels = append(m.labels, l.Name)
		m.threshold = append(m.threshold, l.Threshold)
		if l.Name == man.ExclusiveLabel {
			m.exclusive = i
		}
	}
	for _, t := range man.Targets {
		m.targets[t] = targetKey(t)
	}
	return m
}

func (man *Manifest) validate() error {
	if man.FormatVersion != FormatVersion {
		return fmt.Errorf("format_version %d, this build reads %d", man.FormatVersion, FormatVersion)
	}
	if man.Name == "" || man.Version == "" {
		return errors.New("name and version are required")
	}
	if err := man.Features.validate(); err != nil {
		return err
	}
	if len(man.Labels) < 2 || len(man.Labels) > maxLabels {
		return fmt.Errorf("%d labels, want 2 to %d", len(man.Labels), maxLabels)
	}
	seen := map[string]bool{}
	for _, l := range man.Labels {
		if l.Name == "" || strings.ContainsAny(l.Name, ", \t\n") || seen[l.Name] {
			return fmt.Errorf("label %q is empty, has a comma or space, or repeats", l.Name)
		}
		seen[l.Name] = true
		if !(l.Threshold >= 0 && l.Threshold <= 1) {
			return fmt.Errorf("label %s: threshold %v not in [0, 1]", l.Name, l.Threshold)
		}
	}
	if man.ExclusiveLabel != "" && !seen[man.ExclusiveLabel] {
		return fmt.Errorf("exclusive_label %q is not a label", man.ExclusiveLabel)
	}
	if len(man.Languages) == 0 {
		return errors.New("languages: at least one is required")
	}
	if len(man.Targets) > 0 && !man.Features.TargetCross {
		return errors.New("targets listed but features.target_cross is off")
	}
	if slices.Contains(man.Targets, "") {
		return errors.New("targets: empty name")
	}
	return nil
}

// decodeWeights reads the weights [dim, labels] and bias [labels] tensors.
func decodeWeights(data []byte, dim, labels int) (weights, bias []float32, err error) {
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, nil, err
	}
	read := func(name string, shape ...uint64) ([]float32, error) {
		tv, ok := st.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("tensor %q missing", name)
		}
		if tv.DType() != safetensors.F32 {
			return nil, fmt.Errorf("tensor %q has dtype %s, want F32", name, tv.DType())
		}
		if !slices.Equal(tv.Shape(), shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, want %v (dim × labels from %s)", name, tv.Shape(), shape, ManifestFile)
		}
		raw := tv.Data()
		out := make([]float32, len(raw)/4)
		for i := range out {
			f := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return nil, fmt.Errorf("tensor %q holds a non-finite value at %d", name, i)
			}
			out[i] = f
		}
		return out, nil
	}
	if weights, err = read("weights", uint64(dim), uint64(labels)); err != nil {
		return nil, nil, err
	}
	if bias, err = read("bias", uint64(labels)); err != nil {
		return nil, nil, err
	}
	return weights, bias, nil
}
