package linear_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nlpodyssey/safetensors"

	"github.com/stanceproject/stance/linear"
)

// texts exercises prediction beyond the training sentences.
var texts = []string{
	"China and Russia will build a multipolar world together.",
	"The spokesman condemned American hegemony.",
	"Talks were held on Monday.",
	"A multipolar world will end hegemony and unilateral sanctions.",
	"The weather was mild, and the markets were quiet.",
	"Wang said China and Russia should work together on the formation of a multipolar world.",
	"Accents: café naïve Ångström déjà vu Ελλάδα Россия 中国",
	"Special [SEP] and [CLS] tokens in text",
	"multipolar multipolar multipolar hegemony",
	"",
	"   ",
	"...",
}

func TestSaveLoadRoundTrip(t *testing.T) {
	m := trained(t)
	dir := filepath.Join(t.TempDir(), "nested", "model")
	if err := m.Save(dir); err != nil {
		t.Fatalf("Save: %v", err)
	}
	loaded, err := linear.LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	for _, text := range texts {
		want, err := m.Logits(text, "")
		if err != nil {
			t.Fatalf("Logits(%q): %v", text, err)
		}
		got, err := loaded.Logits(text, "")
		if err != nil {
			t.Fatalf("loaded Logits(%q): %v", text, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Logits(%q) after Save/Load = %v, want identical %v", text, got, want)
		}
	}

	want := m.Manifest()
	got := loaded.Manifest()
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(linear.Manifest{}, "Files")); diff != "" {
		t.Errorf("manifest after Save/Load (-want +got):\n%s", diff)
	}
	if got.FormatVersion != linear.FormatVersion || got.Version == "" || got.Name != "synthetic" {
		t.Errorf("loaded format_version %d, version %q, name %q; want %d, non-empty, \"synthetic\"",
			got.FormatVersion, got.Version, got.Name, linear.FormatVersion)
	}
	if !slices.Equal(loaded.Labels(), m.Labels()) {
		t.Errorf("Labels() = %q, want %q", loaded.Labels(), m.Labels())
	}
	for _, name := range []string{linear.TokenizerFile, linear.WeightsFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); got.Files[name] != hex.EncodeToString(sum[:]) {
			t.Errorf("manifest Files[%s] = %q, want the file's SHA-256 %x", name, got.Files[name], sum)
		}
	}
	if len(got.Files) != 2 {
		t.Errorf("manifest Files = %v, want checksums of exactly %s and %s", got.Files, linear.TokenizerFile, linear.WeightsFile)
	}

	// Saving the loaded model reproduces the artifact byte for byte.
	again := t.TempDir()
	if err := loaded.Save(again); err != nil {
		t.Fatalf("Save of the loaded model: %v", err)
	}
	for _, name := range []string{linear.ManifestFile, linear.TokenizerFile, linear.WeightsFile} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, err := os.ReadFile(filepath.Join(again, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("%s differs after Load and Save again", name)
		}
	}
}

func TestSaveLoadTargets(t *testing.T) {
	m := trainTargets(t)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatalf("Save: %v", err)
	}
	loaded, err := linear.LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if got := loaded.Manifest().Targets; !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("loaded Targets = %q, want [A B]", got)
	}
	for _, target := range []string{"A", "B", ""} {
		want, err := m.Logits("I support it.", target)
		if err != nil {
			t.Fatal(err)
		}
		got, err := loaded.Logits("I support it.", target)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("target %q: Logits after Save/Load = %v, want %v", target, got, want)
		}
	}
}

func TestManifestIsACopy(t *testing.T) {
	cfg := syntheticConfig(tokenizerJSON(t))
	cfg.Folds = 2
	cfg.Data = map[string]linear.DataRef{"train": {File: "train.jsonl", SHA256: "abc", Examples: 86}}
	m, err := linear.Train(synthetic(), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Compare serialised forms: a shallow copy would change along with
	// the model.
	before, err := json.MarshalIndent(m.Manifest(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	c := m.Manifest()
	c.Labels[0].Threshold = 0.123
	c.Languages[0] = "xx"
	c.Hyperparameters.Grid[0].L2 = 99
	c.Data["train"] = linear.DataRef{}
	c.Metrics["cv"]["macro_f1"] = -1
	after, err := json.MarshalIndent(m.Manifest(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("changing the result of Manifest() changed the model (-before +after):\n%s", diff)
	}
}

// editJSON decodes the JSON file name of fsys, applies edit and writes it
// back.
func editJSON(t *testing.T, fsys fstest.MapFS, name string, edit func(map[string]any)) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(fsys[name].Data, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	fsys[name] = &fstest.MapFile{Data: data}
}

// replace puts data in fsys as name and records its checksum in the
// manifest, so that only the content is wrong.
func replace(t *testing.T, fsys fstest.MapFS, name string, data []byte) {
	t.Helper()
	fsys[name] = &fstest.MapFile{Data: data}
	sum := sha256.Sum256(data)
	editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
		v["files"].(map[string]any)[name] = hex.EncodeToString(sum[:])
	})
}

// weightsFile serialises weights and bias as the artifact does.
func weightsFile(t *testing.T, weights []float32, shape []uint64, bias []float32, meta map[string]string) []byte {
	t.Helper()
	f32 := func(v []float32) []byte {
		var b []byte
		for _, f := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
		return b
	}
	w, err := safetensors.NewTensorView(safetensors.F32, shape, f32(weights))
	if err != nil {
		t.Fatal(err)
	}
	b, err := safetensors.NewTensorView(safetensors.F32, []uint64{uint64(len(bias))}, f32(bias))
	if err != nil {
		t.Fatal(err)
	}
	data, err := safetensors.Serialize(map[string]safetensors.TensorView{"weights": w, "bias": b}, meta)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// readWeights decodes the artifact's tensors.
func readWeights(t *testing.T, data []byte) (weights []float32, shape []uint64, bias []float32) {
	t.Helper()
	st, err := safetensors.Deserialize(data)
	if err != nil {
		t.Fatal(err)
	}
	floats := func(name string) ([]float32, []uint64) {
		tv, ok := st.Tensor(name)
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		raw := tv.Data()
		out := make([]float32, len(raw)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, tv.Shape()
	}
	weights, shape = floats("weights")
	bias, _ = floats("bias")
	return weights, shape, bias
}

func TestLoadErrors(t *testing.T) {
	base := artifact(t, trained(t))
	dim, labels := testFeatures.Dim, len(trained(t).Labels())
	meta := map[string]string{"format": "stance-linear", "labels": "anti,none,pro"}
	tests := []struct {
		name     string
		edit     func(t *testing.T, fsys fstest.MapFS)
		want     []string // substrings of the error
		notExist bool     // errors.Is(err, fs.ErrNotExist)
	}{
		{
			name:     "missing manifest",
			edit:     func(t *testing.T, fsys fstest.MapFS) { delete(fsys, linear.ManifestFile) },
			want:     []string{"manifest.json:", "not exist"},
			notExist: true,
		},
		{
			name:     "missing tokenizer",
			edit:     func(t *testing.T, fsys fstest.MapFS) { delete(fsys, linear.TokenizerFile) },
			want:     []string{"tokenizer.json:", "not exist"},
			notExist: true,
		},
		{
			name:     "missing weights",
			edit:     func(t *testing.T, fsys fstest.MapFS) { delete(fsys, linear.WeightsFile) },
			want:     []string{"weights.safetensors:", "not exist"},
			notExist: true,
		},
		{
			name: "truncated weights",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				d := fsys[linear.WeightsFile].Data
				fsys[linear.WeightsFile] = &fstest.MapFile{Data: d[:len(d)/2]}
			},
			want: []string{"weights.safetensors: SHA-256", "does not match the manifest", "truncated"},
		},
		{
			name: "changed tokenizer",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				d := slices.Clone(fsys[linear.TokenizerFile].Data)
				d[len(d)/2] ^= 1
				fsys[linear.TokenizerFile] = &fstest.MapFile{Data: d}
			},
			want: []string{"tokenizer.json: SHA-256", "does not match"},
		},
		{
			name: "no checksum for weights",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
					delete(v["files"].(map[string]any), linear.WeightsFile)
				})
			},
			want: []string{"manifest.json: no checksum for weights.safetensors"},
		},
		{
			name: "corrupted manifest JSON",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				d := fsys[linear.ManifestFile].Data
				fsys[linear.ManifestFile] = &fstest.MapFile{Data: d[:len(d)/2]}
			},
			want: []string{"manifest.json:", "unexpected EOF"},
		},
		{
			name: "manifest not JSON",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				fsys[linear.ManifestFile] = &fstest.MapFile{Data: []byte("format_version = 1\n")}
			},
			want: []string{"manifest.json:", "invalid character"},
		},
		{
			name: "unknown manifest field",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["temperature"] = 0.7 })
			},
			want: []string{"manifest.json:", `unknown field "temperature"`},
		},
		{
			name: "format version 2",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["format_version"] = 2 })
			},
			want: []string{"manifest.json: format_version 2, this build reads 1"},
		},
		{
			name: "threshold out of range",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
					v["labels"].([]any)[1].(map[string]any)["threshold"] = 1.5
				})
			},
			want: []string{"manifest.json: label none: threshold 1.5 not in [0, 1]"},
		},
		{
			name: "dim not a power of two",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
					v["features"].(map[string]any)["dim"] = 3000
				})
			},
			want: []string{"manifest.json: feature dim 3000 is not a power of two"},
		},
		{
			name: "exclusive label not a label",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["exclusive_label"] = "neutral" })
			},
			want: []string{`manifest.json: exclusive_label "neutral" is not a label`},
		},
		{
			name: "targets without crossing",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) { v["targets"] = []string{"A"} })
			},
			want: []string{"manifest.json: targets listed but features.target_cross is off"},
		},
		{
			name: "weights tensor with a label too many",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				_, _, bias := readWeights(t, fsys[linear.WeightsFile].Data)
				w := make([]float32, dim*(labels+1))
				replace(t, fsys, linear.WeightsFile, weightsFile(t, w, []uint64{uint64(dim), uint64(labels + 1)}, bias, meta))
			},
			want: []string{"weights.safetensors:", `tensor "weights" has shape [4096 4], want [4096 3]`},
		},
		{
			name: "NaN weight",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				w, shape, bias := readWeights(t, fsys[linear.WeightsFile].Data)
				w[17] = float32(math.NaN())
				replace(t, fsys, linear.WeightsFile, weightsFile(t, w, shape, bias, meta))
			},
			want: []string{"weights.safetensors:", `tensor "weights" holds a non-finite value at 17`},
		},
		{
			name: "weights not safetensors",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				replace(t, fsys, linear.WeightsFile, []byte("PK\x03\x04 this is a zip file"))
			},
			want: []string{"weights.safetensors:", "header"},
		},
		{
			name: "bias tensor missing",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				w, shape, _ := readWeights(t, fsys[linear.WeightsFile].Data)
				raw := make([]byte, 0, 4*len(w))
				for _, f := range w {
					raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
				}
				tv, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
				if err != nil {
					t.Fatal(err)
				}
				data, err := safetensors.Serialize(map[string]safetensors.TensorView{"weights": tv}, meta)
				if err != nil {
					t.Fatal(err)
				}
				replace(t, fsys, linear.WeightsFile, data)
			},
			want: []string{"weights.safetensors:", `tensor "bias" missing`},
		},
		{
			name: "weights in F64",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				w, shape, bias := readWeights(t, fsys[linear.WeightsFile].Data)
				raw := make([]byte, 0, 8*len(w))
				for _, f := range w {
					raw = binary.LittleEndian.AppendUint64(raw, math.Float64bits(float64(f)))
				}
				wv, err := safetensors.NewTensorView(safetensors.F64, shape, raw)
				if err != nil {
					t.Fatal(err)
				}
				var rb []byte
				for _, f := range bias {
					rb = binary.LittleEndian.AppendUint32(rb, math.Float32bits(f))
				}
				bv, err := safetensors.NewTensorView(safetensors.F32, []uint64{uint64(len(bias))}, rb)
				if err != nil {
					t.Fatal(err)
				}
				data, err := safetensors.Serialize(map[string]safetensors.TensorView{"weights": wv, "bias": bv}, meta)
				if err != nil {
					t.Fatal(err)
				}
				replace(t, fsys, linear.WeightsFile, data)
			},
			want: []string{"weights.safetensors:", `tensor "weights" has dtype F64, want F32`},
		},
		{
			name: "tokenizer model BPE",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.TokenizerFile, func(v map[string]any) {
					v["model"].(map[string]any)["type"] = "BPE"
				})
				replace(t, fsys, linear.TokenizerFile, fsys[linear.TokenizerFile].Data)
			},
			want: []string{"tokenizer.json:", `model "BPE", want WordPiece`},
		},
		{
			name: "tokenizer not JSON",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				replace(t, fsys, linear.TokenizerFile, []byte("[PAD]\n[UNK]\n"))
			},
			want: []string{"tokenizer.json:", "invalid character"},
		},
		{
			name: "manifest has a label more than the tensors",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
					v["labels"] = append(v["labels"].([]any), map[string]any{"name": "neutral", "threshold": 0.5})
				})
			},
			want: []string{"weights.safetensors:", `tensor "weights" has shape [4096 3], want [4096 4]`},
		},
		{
			name: "manifest has a label fewer than the tensors",
			edit: func(t *testing.T, fsys fstest.MapFS) {
				editJSON(t, fsys, linear.ManifestFile, func(v map[string]any) {
					v["labels"] = v["labels"].([]any)[:2]
					v["exclusive_label"] = "none"
				})
			},
			want: []string{"weights.safetensors:", `tensor "weights" has shape [4096 3], want [4096 2]`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := maps.Clone(base)
			tt.edit(t, fsys)
			m, err := linear.Load(fsys)
			if err == nil {
				t.Fatalf("Load succeeded (model %s), want an error containing %q", m.Manifest().Version, tt.want)
			}
			if m != nil {
				t.Errorf("Load returned a model with error %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error %q, want it to contain %q", err, w)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v, want %v", err, got, tt.notExist)
			}
		})
	}
}

func TestLoadDirNamesDirectoryAndFile(t *testing.T) {
	dir := t.TempDir()
	if err := trained(t).Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, linear.WeightsFile)); err != nil {
		t.Fatal(err)
	}
	_, err := linear.LoadDir(dir)
	if err == nil {
		t.Fatal("LoadDir succeeded without weights.safetensors")
	}
	for _, w := range []string{dir, linear.WeightsFile} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("LoadDir error %q, want it to contain %q", err, w)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false, want true", err)
	}
	if _, err := linear.LoadDir(filepath.Join(dir, "absent")); err == nil {
		t.Error("LoadDir of a missing directory succeeded")
	}
}

func TestWeightsHeader(t *testing.T) {
	m := trained(t)
	data := artifact(t, m)[linear.WeightsFile].Data
	if len(data) < 8 {
		t.Fatalf("weights.safetensors has %d bytes", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n == 0 || n > uint64(len(data)-8) {
		t.Fatalf("header length %d does not fit a %d-byte file", n, len(data))
	}
	type tensor struct {
		DType       string   `json:"dtype"`
		Shape       []uint64 `json:"shape"`
		DataOffsets [2]int   `json:"data_offsets"`
	}
	var header struct {
		Weights  tensor            `json:"weights"`
		Bias     tensor            `json:"bias"`
		Metadata map[string]string `json:"__metadata__"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data[8 : 8+n])))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&header); err != nil {
		t.Fatalf("header %q: %v", data[8:8+n], err)
	}
	L := uint64(len(m.Labels()))
	if got, want := header.Weights, (tensor{"F32", []uint64{uint64(testFeatures.Dim), L}, header.Weights.DataOffsets}); !cmp.Equal(got, want) {
		t.Errorf("weights = %+v, want dtype F32, shape [dim labels] = %v", got, want.Shape)
	}
	if got, want := header.Bias, (tensor{"F32", []uint64{L}, header.Bias.DataOffsets}); !cmp.Equal(got, want) {
		t.Errorf("bias = %+v, want dtype F32, shape %v", got, want.Shape)
	}
	if got, want := header.Metadata, map[string]string{"format": "stance-linear", "labels": "anti,none,pro"}; !cmp.Equal(got, want) {
		t.Errorf("__metadata__ = %v, want %v", got, want)
	}
	body := len(data) - 8 - int(n)
	wo, bo := header.Weights.DataOffsets, header.Bias.DataOffsets
	if wo[1]-wo[0] != 4*testFeatures.Dim*int(L) || bo[1]-bo[0] != 4*int(L) {
		t.Errorf("data offsets weights %v, bias %v; want %d and %d bytes", wo, bo, 4*testFeatures.Dim*int(L), 4*L)
	}
	if max(wo[1], bo[1]) != body {
		t.Errorf("tensors end at %d, but the body has %d bytes", max(wo[1], bo[1]), body)
	}

	// The bias tensor holds each label's intercept, as Explain reports it.
	expl, err := m.Explain("Talks were held on Monday.", "", []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for l, e := range expl {
		raw := data[8+int(n)+bo[0]+4*l:]
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw)); float64(got) != e.Bias {
			t.Errorf("bias[%d] in the file = %v, Explain says %v", l, got, e.Bias)
		}
	}
}

// FuzzLoad mutates manifest.json of a valid artifact: Load must return a
// model or an error, never panic, and a loaded model must predict.
func FuzzLoad(f *testing.F) {
	m := trained(f)
	base := artifact(f, m)
	f.Add(base[linear.ManifestFile].Data)
	for _, edit := range []func(man map[string]any){
		func(man map[string]any) {
			man["multi_label"] = false
			man["exclusive_label"] = "pro"
		},
		func(man map[string]any) {
			feat := man["features"].(map[string]any)
			feat["char_min"], feat["char_max"], feat["word_ngrams"] = 1, 6, 3
			feat["target_cross"] = true
			man["targets"] = []string{"A", "B"}
		},
		func(man map[string]any) { man["features"].(map[string]any)["dim"] = 1 << 24 },
		func(man map[string]any) { man["labels"] = []any{} },
		func(man map[string]any) { man["languages"] = nil },
	} {
		var man map[string]any
		if err := json.Unmarshal(base[linear.ManifestFile].Data, &man); err != nil {
			f.Fatal(err)
		}
		edit(man)
		data, err := json.Marshal(man)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("null"))
	f.Add([]byte("{}"))
	f.Add([]byte(`{"format_version":1,"labels":null}`))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		fsys := fstest.MapFS{
			linear.ManifestFile:  {Data: manifest},
			linear.TokenizerFile: base[linear.TokenizerFile],
			linear.WeightsFile:   base[linear.WeightsFile],
		}
		m, err := linear.Load(fsys)
		if err != nil {
			if m != nil {
				t.Errorf("Load returned a model and the error %v", err)
			}
			return
		}
		if m == nil {
			t.Fatal("Load returned neither a model nor an error")
		}
		targets := append([]string{""}, m.Manifest().Targets...)
		for _, target := range targets {
			p, err := m.Predict("China praised the multipolar world [SEP] café", target)
			if err != nil {
				t.Fatalf("Predict with target %q: %v", target, err)
			}
			if len(p.Probs) != len(m.Labels()) {
				t.Errorf("%d probabilities for %d labels", len(p.Probs), len(m.Labels()))
			}
			if _, err := m.Explain("multipolar world", target, []int{p.Top}); err != nil {
				t.Errorf("Explain: %v", err)
			}
		}
	})
}
