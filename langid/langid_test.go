package langid

import (
	"testing"

	"github.com/stanceproject/stance/dataset"
)

func TestDetect(t *testing.T) {
	d := New()
	cases := []struct {
		text, want string
		fast       bool
	}{
		{"Wang said China and Russia should work together on the formation of a multipolar world.", "en", true},
		{"Erdoğan said the talks in São Paulo were a step toward peace, and that Ankara would stay in contact with both sides.", "en", true},
		{"Le ministre a dit que la Chine restera neutre dans ce conflit et qu’elle soutient le dialogue.", "fr", false},
		{"Der Außenminister sagte, Deutschland werde die Sanktionen gegen Russland beibehalten.", "de", false},
		{"El canciller dijo que Brasil mantendrá una posición neutral en el conflicto.", "es", false},
		{"As negociações entre o Brasil e a China avançaram, disse o ministro em Brasília.", "pt", false},
		{"Il ministro ha detto che l’Italia sostiene il dialogo e la pace in Ucraina.", "it", false},
		{"De minister zei dat Nederland de sancties tegen Rusland blijft steunen.", "nl", false},
		{"Was will die Regierung an der Grenze tun, wenn es zu einer neuen Krise kommt?", "de", false},
		{"Het is de vraag of de regering over de sancties kan beslissen.", "nl", false},
		{"Министр заявил, что Россия и Китай выступают за многополярный мир.", "ru", false},
		{"中国和俄罗斯将共同推动多极化世界。", "zh", false},
		// Terse factual English takes the fast path on shared words alone ...
		{"The delegation was received at the ministry on Tuesday by a deputy minister.", "en", true},
		{"Talks resumed in Geneva on 4 March, after a pause of more than a year.", "en", true},
		// ... which foreign sentences with English-looking words do not.
		{"Was kann Europa in dieser Lage tun, fragte er am Montag.", "de", false},
		{"Wat is er over het akkoord bekend, en wat kan het parlement doen?", "nl", false},
		{"Menteri itu akan hadir di forum pada bulan Mei.", "id", false},
		{"Bakan bu konuda bir açıklama yaptı.", "tr", false},
		{"To jest plan na cały rok, powiedział minister.", "pl", false},
		{"Il ministro è in viaggio a Roma per il vertice.", "it", false},
	}
	for _, c := range cases {
		if got := plainEnglish(c.text); got != c.fast {
			t.Errorf("plainEnglish(%q) = %v, want %v", c.text, got, c.fast)
		}
		if got := d.Detect(c.text); got.Code != c.want {
			t.Errorf("Detect(%q) = %+v, want %s", c.text, got, c.want)
		}
	}
}

// TestFastPathCoverage measures how much of the corpus the fast path
// answers: lingua costs thirty times a classification, so even a few
// percent of the corpus going to it would cost more than all the rest.
func TestFastPathCoverage(t *testing.T) {
	exs, _, err := dataset.ReadFile("../data/dev.jsonl", dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := New()
	fast, english := 0, 0
	for _, x := range exs {
		if plainEnglish(x.Text) {
			fast++
		}
		if d.Detect(x.Text).Code == "en" {
			english++
		}
	}
	t.Logf("fast path %d of %d, detected English %d", fast, len(exs), english)
	if fast*100 < len(exs)*99 {
		t.Errorf("fast path answers %d of %d sentences, want at least 99%%", fast, len(exs))
	}
	if english != len(exs) {
		t.Errorf("%d of %d English sentences detected as English", english, len(exs))
	}
}

// BenchmarkDetect is the fast path on a typical sentence of wire copy.
func BenchmarkDetect(b *testing.B) {
	d := New()
	const text = "In the face of unilateral actions and hegemony, the two countries should deepen strategic cooperation and make global governance fairer, the spokesperson said."
	b.ReportAllocs()
	for b.Loop() {
		if d.Detect(text).Code != "en" {
			b.Fatal("not English")
		}
	}
}
