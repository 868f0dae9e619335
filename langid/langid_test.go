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

// foreign holds sentences in the other Latin-script candidates, many with
// words that are also English ("was", "will", "in", "over", "had", "also",
// "most", "the"): the fast path must leave every one to the word evidence.
var foreign = []struct{ code, text string }{
	{"de", "Was will Moskau in Kiew erreichen?"},
	{"nl", "Rusland was in februari over de grens getrokken."},
	{"nl", "Of Poetin in maart over vrede wil praten, is onduidelijk."},
	{"fr", "On a attendu un an de plus."},
	{"fr", "Or, on a vu à Paris un accord de principe."},
	{"it", "Tajani a Kiev: sostegno all'Ucraina in ogni sede."},
	{"pl", "Premier to zapowiedział we wtorek, a opozycja protestuje."},
	{"pl", "Ten most to duma miasta, a jego budowa trwała rok."},
	{"de", "Laut The Economist ist die Lage in der Ukraine weiterhin ernst."},
	{"fr", "Selon the Guardian, les négociations ont échoué à Genève."},
	{"de", "Der Kanzler sagte, er habe mit dem Präsidenten über die Sanktionen gesprochen."},
	{"de", "Das Treffen in Brüssel war also ein Erfolg für die Regierung."},
	{"nl", "Hij had het akkoord al in maart getekend, zei de minister."},
	{"nl", "De regering heeft gisteren een nieuw plan gepresenteerd."},
	{"fr", "Le porte-parole a déclaré que la France restera aux côtés de l'Ukraine."},
	{"es", "La ministra dijo que España apoya una paz justa y duradera."},
	{"es", "El presidente habló con su homólogo chino sobre el comercio."},
	{"pt", "O governo brasileiro defende uma ordem mundial multipolar, disse o ministro."},
	{"pt", "A cúpula do BRICS terminou com uma declaração conjunta no Rio."},
	{"it", "Il governo italiano ha confermato il sostegno a Kiev."},
	{"it", "La Cina è un partner commerciale importante per l'Europa, ha detto il ministro."},
	{"pl", "Rząd w Warszawie zapowiedział nowe sankcje wobec Rosji."},
	{"pl", "Minister spraw zagranicznych spotkał się z ambasadorem w poniedziałek."},
	{"tr", "Türkiye bu konuda tarafsız kalmaya devam edecek, dedi bakan."},
	{"tr", "Dışişleri Bakanı, barış görüşmelerinin İstanbul'da yapılacağını açıkladı."},
	{"id", "Pemerintah Indonesia akan tetap bersikap netral dalam konflik ini."},
	{"id", "Menteri Luar Negeri mengatakan bahwa kerja sama dengan Cina sangat penting."},
	{"de", "Die Bundesregierung will die Zusammenarbeit mit Indien ausbauen, hieß es in Berlin."},
	{"de", "Wir werden die Ukraine so lange unterstützen, wie es nötig ist."},
	{"fr", "Nous ne sommes pas neutres face à l'agression, a dit le président."},
	{"es", "No es una guerra de Europa, sino una guerra contra Europa, afirmó el canciller."},
	{"it", "Non siamo neutrali tra l'aggressore e l'aggredito."},
	{"nl", "Het kabinet was het niet eens met de nieuwe sancties tegen Iran."},
	{"de", "Die EU hat am Montag neue Sanktionen gegen Russland beschlossen."},
	{"de", "Im Juni trafen sich die Außenminister der G7 in Italien."},
	{"pt", "Lula disse que o mundo precisa de uma governança global mais justa."},
	{"fr", "Le sommet des BRICS a réuni les dirigeants de onze pays à Kazan."},
	{"pl", "Polska i Niemcy podpisały umowę o współpracy obronnej."},
	{"id", "Kemlu RI menyatakan dukungan terhadap solusi dua negara."},
	{"tr", "Putin ve Erdoğan telefonda Ukrayna'daki durumu görüştü."},
}

func TestFastPathLeavesForeignToTheDetector(t *testing.T) {
	d := New()
	for _, c := range foreign {
		if plainEnglish(c.text) {
			t.Errorf("plainEnglish(%q) = true", c.text)
		}
		if got := d.Detect(c.text); got.Code != c.code {
			t.Errorf("Detect(%q) = %+v, want %s", c.text, got, c.code)
		}
	}
}

// TestCorpusIsEnglish holds the detector to the corpus, which is all
// English: at most one sentence in a thousand may be refused as another
// language (at the engine's confidence of 0.9). It also reports how much
// of the corpus the fast path answers.
func TestCorpusIsEnglish(t *testing.T) {
	d := New()
	n, fast, refused := 0, 0, 0
	for _, f := range []string{"../data/train.jsonl", "../data/dev.jsonl", "../data/test.jsonl"} {
		exs, _, err := dataset.ReadFile(f, dataset.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range exs {
			n++
			if plainEnglish(x.Text) {
				fast++
			}
			if r := d.Detect(x.Text); r.Code != "en" && r.Confidence >= 0.9 {
				refused++
				t.Logf("refused: %q (%s %.2f)", x.Text, r.Code, r.Confidence)
			}
		}
	}
	t.Logf("%d sentences: fast path %d, refused %d", n, fast, refused)
	if refused*1000 > n {
		t.Errorf("%d of %d English sentences refused as another language, want at most 0.1%%", refused, n)
	}
}

// BenchmarkDetectHeadline is the word evidence on a headline, which the
// fast path leaves alone.
func BenchmarkDetectHeadline(b *testing.B) {
	d := New()
	const text = "Moscow decries 'neocolonial' Western pressure on Africa"
	b.ReportAllocs()
	for b.Loop() {
		if d.Detect(text).Code != "en" {
			b.Fatal("not English")
		}
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
