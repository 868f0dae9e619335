package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stanceproject/stance/eval"
)

// readDir returns the contents of the regular files in dir by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = data
	}
	return out
}

func TestTrainReproducible(t *testing.T) {
	// t.Setenv: not parallel.
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	dir := t.TempDir()
	train := writeFile(t, dir, "train.jsonl", synthJSONL(trainSubjects))
	dev := writeFile(t, dir, "dev.jsonl", synthJSONL(devSubjects, mislabelled...))
	var models []map[string][]byte
	for _, out := range []string{"a", "b"} {
		out = filepath.Join(dir, out)
		stdout, stderr := mustCLI(t, "train", "--train", train, "--dev", dev, "--out", out, "--cv", "1", "--quiet")
		if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "dev (") {
			t.Errorf("train stdout does not report the dev figures and the output:\n%s", stdout)
		}
		if stderr != "" {
			t.Errorf("train --quiet stderr = %q, want nothing", stderr)
		}
		models = append(models, readDir(t, out))
	}
	a, b := models[0], models[1]
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"manifest.json", "tokenizer.json", "weights.safetensors"}; !slices.Equal(names, want) {
		t.Fatalf("train wrote %v, want %v", names, want)
	}
	for _, name := range names {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs with the same data and SOURCE_DATE_EPOCH", name)
		}
	}
	if len(b) != len(a) {
		t.Errorf("second run wrote %d files, first %d", len(b), len(a))
	}

	var man struct {
		Created string                        `json:"created"`
		Labels  []struct{ Name string }       `json:"labels"`
		Metrics map[string]map[string]float64 `json:"metrics"`
		Data    map[string]struct {
			Examples int `json:"examples"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a["manifest.json"], &man); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if man.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created = %q, want SOURCE_DATE_EPOCH 1700000000 as 2023-11-14T22:13:20Z", man.Created)
	}
	var labels []string
	for _, l := range man.Labels {
		labels = append(labels, l.Name)
	}
	slices.Sort(labels)
	if want := []string{"anti_unilateralism", "none", "pro_multipolarity"}; !slices.Equal(labels, want) {
		t.Errorf("labels = %v, want %v", labels, want)
	}
	if _, ok := man.Metrics["dev"]["macro_f1"]; !ok {
		t.Errorf("manifest metrics = %v, want dev macro_f1", man.Metrics)
	}
	if got, want := man.Data["train"].Examples, 3*len(trainSubjects); got != want {
		t.Errorf("manifest records %d training examples, want %d", got, want)
	}
	if got, want := man.Data["dev"].Examples, 3*len(devSubjects)+len(mislabelled); got != want {
		t.Errorf("manifest records %d dev examples, want %d", got, want)
	}
}

func TestTrainUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--out", t.TempDir()}, "--train and --out are required"},
		{[]string{"train", "--train", "x.jsonl"}, "--train and --out are required"},
		{[]string{"train", "--train", "x.jsonl", "--out", t.TempDir(), "--l2", "-1"}, `--l2: "-1" is not a positive finite number`},
		{[]string{"train", "--train", "x.jsonl", "--out", t.TempDir(), "--l2", "1e-5,nan"}, `--l2: "nan" is not a positive finite number`},
		{[]string{"train", "--train", "x.jsonl", "--out", t.TempDir(), "--l2", "inf"}, `--l2: "inf" is not a positive finite number`},
	} {
		if _, _, err := cli(t, "", c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("stancectl %s: err = %v, want %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// evalJSON runs eval with --json and decodes its one JSON object.
func evalJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	stdout, _ := mustCLI(t, append([]string{"eval", "--json", "--quiet"}, args...)...)
	return jsonObject(t, stdout)
}

func TestEval(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	dir := t.TempDir()
	errorsFile := filepath.Join(dir, "errors.jsonl")
	reportDir := filepath.Join(dir, "report")
	rep := evalJSON(t, "--model", f.model, "--data", f.dev, "--errors", errorsFile, "--report", reportDir)

	wantKeys(t, "eval report", rep, "n", "micro_f1", "macro_f1", "macro_f1_ci", "exact_match", "accuracy", "per_label")
	if n, want := rep["n"], float64(3*len(devSubjects)+len(mislabelled)); n != want {
		t.Errorf("n = %v, want %v", n, want)
	}
	macro, _ := rep["macro_f1"].(float64)
	if macro < 0.5 || macro >= 0.98 {
		t.Errorf("macro_f1 = %v, want at least 0.5 and, with the mislabelled dev lines, under 0.98", macro)
	}
	if ci, _ := rep["macro_f1_ci"].([]any); len(ci) != 2 || ci[0].(float64) > macro || ci[1].(float64) < macro {
		t.Errorf("macro_f1_ci = %v, want an interval around %v", rep["macro_f1_ci"], macro)
	}
	perLabel, _ := rep["per_label"].(map[string]any)
	for _, l := range synthLabels {
		m, _ := perLabel[l].(map[string]any)
		wantKeys(t, "per_label."+l, m, "precision", "recall", "f1", "support")
	}
	if _, ok := rep["latency"]; ok {
		t.Errorf("an in-process eval has latency: %v", rep["latency"])
	}
	if _, ok := rep["f_avg"]; ok {
		t.Errorf("f_avg = %v, want none without FAVOR and AGAINST", rep["f_avg"])
	}

	t.Run("errors", func(t *testing.T) {
		raw, err := os.ReadFile(errorsFile)
		if err != nil {
			t.Fatal(err)
		}
		lines := jsonLines(t, string(raw))
		if len(lines) < len(mislabelled) {
			t.Fatalf("got %d errors, want at least the %d mislabelled lines:\n%s", len(lines), len(mislabelled), raw)
		}
		found := 0
		for i, l := range lines {
			wantKeys(t, fmt.Sprintf("error %d", i+1), l, "line", "text", "gold", "pred", "scores")
			gold, pred := jsonStrings(t, l["gold"]), jsonStrings(t, l["pred"])
			slices.Sort(gold)
			slices.Sort(pred)
			if slices.Equal(gold, pred) {
				t.Errorf("error %d has gold = pred = %v", i+1, gold)
			}
			if text, _ := l["text"].(string); strings.Contains(text, "Nauru") || strings.Contains(text, "Tonga") {
				found++
			}
		}
		if found != len(mislabelled) {
			t.Errorf("found %d of the %d mislabelled lines among the errors:\n%s", found, len(mislabelled), raw)
		}
	})

	t.Run("report", func(t *testing.T) {
		files := readDir(t, reportDir)
		for _, name := range []string{"index.html", "report.json", "confusion.png", "f1.png", "reliability.png"} {
			data, ok := files[name]
			switch {
			case !ok:
				t.Errorf("report has no %s", name)
			case strings.HasSuffix(name, ".png") && !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
				t.Errorf("%s is not a PNG", name)
			}
		}
		if !bytes.Contains(files["index.html"], []byte("<html")) {
			t.Errorf("index.html is not HTML")
		}
		var fromFile map[string]any
		if err := json.Unmarshal(files["report.json"], &fromFile); err != nil {
			t.Fatalf("report.json: %v", err)
		}
		if fromFile["macro_f1"] != rep["macro_f1"] || fromFile["n"] != rep["n"] {
			t.Errorf("report.json macro_f1, n = %v, %v; want the printed %v, %v", fromFile["macro_f1"], fromFile["n"], rep["macro_f1"], rep["n"])
		}
		// What was measured: the model, the data file as given and its hash,
		// the command line and the date.
		var run eval.Provenance
		raw, _ := json.Marshal(fromFile["run"])
		if err := json.Unmarshal(raw, &run); err != nil {
			t.Fatalf("report.json run %s: %v", raw, err)
		}
		data, err := os.ReadFile(f.dev)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if run.Data != f.dev || run.DataSHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("run data %q sha256 %s, want %q and %x", run.Data, run.DataSHA256, f.dev, sum)
		}
		if run.Model == "" || run.ModelVersion == "" || !strings.Contains(run.Command, "stancectl eval --json --quiet --model "+f.model+" --data "+f.dev) {
			t.Errorf("run = %+v, want the model's name and version and the command line", run)
		}
		if _, err := time.Parse(time.RFC3339, run.Date); err != nil {
			t.Errorf("run date %q: %v", run.Date, err)
		}
		for _, want := range []string{run.DataSHA256, run.ModelVersion, "Worst errors"} {
			if !bytes.Contains(files["index.html"], []byte(want)) {
				t.Errorf("index.html does not show %q", want)
			}
		}
		// The mislabelled lines are the most confidently wrong, with what
		// pushed their predictions.
		var worst []eval.WorstError
		raw, _ = json.Marshal(fromFile["worst_errors"])
		if err := json.Unmarshal(raw, &worst); err != nil {
			t.Fatalf("report.json worst_errors %s: %v", raw, err)
		}
		found := 0
		for i, w := range worst {
			if i > 0 && w.Severity > worst[i-1].Severity {
				t.Errorf("worst error %d is more severe than the one before: %v > %v", i, w.Severity, worst[i-1].Severity)
			}
			if len(w.Explanations) != len(w.Pred) || !strings.HasPrefix(w.Source, f.dev+":") {
				t.Errorf("worst error %d = %+v, want its source and one explanation per predicted label", i, w)
			}
			if strings.Contains(w.Text, "Nauru") || strings.Contains(w.Text, "Tonga") {
				found++
			}
		}
		if found != len(mislabelled) {
			t.Errorf("found %d of the %d mislabelled lines among the worst errors: %+v", found, len(mislabelled), worst)
		}
	})

	t.Run("table", func(t *testing.T) {
		stdout, _ := mustCLI(t, "eval", "--quiet", "--bootstrap", "0", "--model", f.model, "--data", f.dev)
		for _, l := range synthLabels {
			if !strings.Contains(stdout, l) {
				t.Errorf("eval table does not list %s:\n%s", l, stdout)
			}
		}
	})

	t.Run("no data", func(t *testing.T) {
		if _, _, err := cli(t, "", "eval", "--model", f.model); err == nil || !strings.Contains(err.Error(), "--data") {
			t.Errorf("eval without --data: err = %v, want one naming --data", err)
		}
	})
}

func TestEvalBaselineGate(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	dir := t.TempDir()
	baseline := filepath.Join(dir, "baseline.json")
	mustCLI(t, "eval", "--quiet", "--model", f.model, "--data", f.dev, "--write-baseline", baseline)
	var bl struct {
		MacroF1 *float64 `json:"macro_f1"`
	}
	if raw, err := os.ReadFile(baseline); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(raw, &bl); err != nil || bl.MacroF1 == nil {
		t.Fatalf("baseline %s = %s (%v), want an object with macro_f1", baseline, raw, err)
	}
	if *bl.MacroF1 >= 0.98 {
		t.Fatalf("the fixture's macro F1 %v leaves no room for a failing baseline", *bl.MacroF1)
	}

	t.Run("pass", func(t *testing.T) {
		_, stderr, err := cli(t, "", "eval", "--quiet", "--model", f.model, "--data", f.dev, "--baseline", baseline, "--max-drop", "0.01")
		if err != nil {
			t.Fatalf("eval against its own baseline: %v\nstderr:\n%s", err, stderr)
		}
		if !strings.Contains(stderr, "within 0.010 of the baseline") {
			t.Errorf("stderr = %q, want it to say the run is within the baseline", stderr)
		}
	})

	t.Run("regression", func(t *testing.T) {
		high := writeFile(t, dir, "high.json", []byte(`{"macro_f1": 0.99, "data": "dev.jsonl", "model": "a better one"}`))
		_, stderr, err := cli(t, "", "eval", "--quiet", "--model", f.model, "--data", f.dev, "--baseline", high, "--max-drop", "0.01")
		wantExit(t, err, 1)
		if !strings.Contains(stderr, "macro F1") || !strings.Contains(stderr, "0.9900") {
			t.Errorf("stderr = %q, want it to name macro F1 and the baseline 0.9900", stderr)
		}
	})

	t.Run("bad baseline", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.json", []byte(`{"micro_f1": 0.5}`))
		_, _, err := cli(t, "", "eval", "--quiet", "--model", f.model, "--data", f.dev, "--baseline", bad)
		if err == nil || !strings.Contains(err.Error(), "macro_f1") {
			t.Errorf("err = %v, want one saying the baseline has no macro_f1", err)
		}
	})
}

func TestEvalBadCSVRow(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	csv := writeFile(t, t.TempDir(), "data.csv", []byte(
		"id,sentence,stance\n"+
			`1,"Kenya said that it opposes unilateral sanctions and the hegemony of one country, which are against international law.",anti_unilateralism`+"\n"+
			"2,The talks will begin on Tuesday.\n"+
			`3,"The delegation from Fiji arrived in the capital on Monday and the talks will begin on Tuesday.",none`+"\n"+
			`4,"The rise of Fiji and the BRICS is a welcome step towards a multipolar world order.",pro_multipolarity|anti_unilateralism`+"\n"))
	args := []string{"eval", "--json", "--quiet", "--bootstrap", "0", "--model", f.model, "--data", csv, "--text-col", "sentence", "--label-col", "stance"}

	_, _, err := cli(t, "", args...)
	if err == nil || !strings.Contains(err.Error(), csv+":3:") {
		t.Fatalf("err = %v, want one naming %s:3", err, csv)
	}

	stdout, stderr := mustCLI(t, append(args, "--skip-bad")...)
	if !strings.Contains(stderr, "skipped 1 ") {
		t.Errorf("stderr = %q, want it to say 1 row was skipped", stderr)
	}
	if n := jsonObject(t, stdout)["n"]; n != 3.0 {
		t.Errorf("n = %v, want the 3 good rows", n)
	}
}

// TestEvalTakesUsersFiles: rows with fields and columns of the user's own
// are read, and stderr says once which were left aside; data check stays
// strict for the project's corpus.
func TestEvalTakesUsersFiles(t *testing.T) {
	t.Parallel()
	f := trainedModel(t)
	dir := t.TempDir()
	jsonl := writeFile(t, dir, "data.jsonl", []byte(
		`{"text": "Kenya said that it opposes unilateral sanctions and the hegemony of one country.", "labels": ["anti_unilateralism"], "annotator": "kim", "note": "clear"}`+"\n"+
			`{"text": "The delegation from Fiji arrived in the capital on Monday.", "labels": ["none"], "annotator": "lee"}`+"\n"))
	stdout, stderr := mustCLI(t, "eval", "--json", "--quiet", "--bootstrap", "0", "--model", f.model, "--data", jsonl)
	if want := `ignored fields not used: "annotator" in 2, "note" in 1 of 2 rows`; !strings.Contains(stderr, want) || strings.Count(stderr, "ignored") != 1 {
		t.Errorf("stderr = %q, want once %q", stderr, want)
	}
	if n := jsonObject(t, stdout)["n"]; n != 2.0 {
		t.Errorf("n = %v, want both rows", n)
	}
	csv := writeFile(t, dir, "data.csv", []byte("id,text,labels,annotator\n1,The delegation from Fiji arrived on Monday.,none,kim\n"))
	_, stderr = mustCLI(t, "eval", "--json", "--quiet", "--bootstrap", "0", "--model", f.model, "--data", csv)
	if want := `ignored fields not used: "annotator" in 1, "id" in 1 of 1 rows`; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}

	stdout, _, err := cli(t, "", "data", "check", "--labels", "../../data/labels.json", jsonl)
	wantExit(t, err, 1)
	if want := jsonl + `:1: unknown field "annotator"`; !strings.Contains(stdout, want) {
		t.Errorf("data check printed %q, want %q", stdout, want)
	}
}

func TestSemEval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	utf8File := writeFile(t, dir, "semeval-utf8.tsv", semEvalTSV(false))
	cp1252File := writeFile(t, dir, "semeval-cp1252.tsv", semEvalTSV(true))

	var versions []string
	for _, data := range []string{utf8File, cp1252File} {
		model := strings.TrimSuffix(data, ".tsv")
		mustCLI(t, "train", "--train", data, "--out", model, "--cv", "1", "--quiet")
		var man struct {
			Version string
			Targets []string
			Labels  []struct{ Name string }
		}
		raw, err := os.ReadFile(filepath.Join(model, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &man); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(man.Targets, semEvalTargets) {
			t.Errorf("%s: targets = %v, want %v", data, man.Targets, semEvalTargets)
		}
		versions = append(versions, man.Version)

		rep := evalJSON(t, "--model", model, "--data", data, "--bootstrap", "100")
		favg, ok := rep["f_avg"].(float64)
		if !ok || favg <= 0 || favg > 1 {
			t.Errorf("%s: f_avg = %v, want one in (0, 1]", data, rep["f_avg"])
		}
		byTarget, _ := rep["f_avg_by_target"].(map[string]any)
		for _, target := range semEvalTargets {
			if _, ok := byTarget[target]; !ok {
				t.Errorf("%s: f_avg_by_target = %v, want %s", data, rep["f_avg_by_target"], target)
			}
		}
	}
	// The content version hashes the weights: decoding Windows-1252 must
	// give the model the same texts as the UTF-8 file.
	if versions[0] != versions[1] {
		t.Errorf("model versions from the UTF-8 and the Windows-1252 file = %s, %s; want equal", versions[0], versions[1])
	}

	t.Run("cv", func(t *testing.T) {
		rep := evalJSON(t, "--cv", "3", "--data", cp1252File)
		for _, key := range []string{"macro_f1", "f_avg"} {
			ms, _ := rep[key].([]any)
			if len(ms) != 2 {
				t.Fatalf("%s = %v, want [mean, sd]", key, rep[key])
			}
			if mean, _ := ms[0].(float64); mean <= 0 || mean > 1 {
				t.Errorf("%s mean = %v, want one in (0, 1]", key, mean)
			}
			if folds, _ := rep[key+"_folds"].([]any); len(folds) != 3 {
				t.Errorf("%s_folds = %v, want 3 figures", key, rep[key+"_folds"])
			}
		}
	})
}

var semEvalTargets = []string{"BRICS", "NATO"}

// semEvalTSV returns a SemEval-2016 Task 6 file of 60 rows over two targets,
// with curly quotes in UTF-8 or as Windows-1252 bytes 0x93 and 0x94.
func semEvalTSV(cp1252 bool) []byte {
	templates := map[string][]string{
		"FAVOR": {
			"%s said the bloc is a \u201cforce for good\u201d and that it strongly supports its growth #solidarity",
			"The minister from %s praised the bloc and its members for their \u201cexcellent cooperation\u201d",
		},
		"AGAINST": {
			"%s said the bloc is a \u201cthreat to peace\u201d and that it opposes any expansion #nomore",
			"The minister from %s condemned the bloc and its members for their \u201crelentless pressure\u201d",
		},
		"NONE": {
			"The weather in %s was sunny on Monday and the \u201cfestival\u201d starts on Friday",
			"Tickets for the football match in %s sold out within an hour of going on sale",
		},
	}
	subjects := []string{"Kenya", "Peru", "Chile", "Ghana", "Nepal", "Laos", "Oman", "Chad", "Fiji", "Togo"}
	var b strings.Builder
	b.WriteString("ID\tTarget\tTweet\tStance\r\n")
	id := 100
	for _, target := range semEvalTargets {
		for _, stance := range []string{"FAVOR", "AGAINST", "NONE"} {
			for i, s := range subjects {
				id++
				fmt.Fprintf(&b, "%d\t%s\t%s\t%s\r\n", id, target, fmt.Sprintf(templates[stance][i%2], s), stance)
			}
		}
	}
	out := b.String()
	if cp1252 {
		out = strings.NewReplacer("\u201c", "\x93", "\u201d", "\x94").Replace(out)
	}
	return []byte(out)
}

func TestTokenizerBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	vocab := writeFile(t, dir, "vocab.txt", []byte("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nworld\n##s\n"))
	out := filepath.Join(dir, "tokenizer.json")
	mustCLI(t, "tokenizer", "build", "--vocab", vocab, "--out", out)
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		Model struct {
			Type  string         `json:"type"`
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil {
		t.Fatalf("tokenizer.json: %v", err)
	}
	if tok.Model.Type != "WordPiece" || tok.Model.Vocab["world"] != 6 || len(tok.Model.Vocab) != 8 {
		t.Errorf("model = %+v, want WordPiece over the 8 tokens, world = 6", tok.Model)
	}

	noSpecials := writeFile(t, dir, "bad.txt", []byte("the\nworld\n"))
	if _, _, err := cli(t, "", "tokenizer", "build", "--vocab", noSpecials, "--out", out); err == nil || !strings.Contains(err.Error(), noSpecials) {
		t.Errorf("vocab without special tokens: err = %v, want one naming %s", err, noSpecials)
	}
	if _, _, err := cli(t, "", "tokenizer", "build", "--vocab", vocab); err == nil {
		t.Error("tokenizer build without --out returned nil")
	}
	if _, _, err := cli(t, "", "tokenizer"); err == nil {
		t.Error("tokenizer without build returned nil")
	}
}
