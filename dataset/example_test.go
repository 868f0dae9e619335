package dataset_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/stanceproject/stance/dataset"
)

func ExampleRead() {
	const data = `{"text": "Sanctions will stay until Russia ends its aggression.", "labels": ["rules_based_order"]}
{"text": "Beijing is a neutral peace broker.", "label": ["neutrality_claim"]}
`
	_, _, err := dataset.Read(strings.NewReader(data), "dev.jsonl", dataset.Options{})
	fmt.Println(err)

	examples, skipped, err := dataset.Read(strings.NewReader(data), "dev.jsonl", dataset.Options{SkipBad: true})
	fmt.Println(len(examples), skipped, err)
	// Output:
	// dev.jsonl:2: missing "labels" (fields not used: label)
	// 1 1 <nil>
}

func ExampleWriteJSONL() {
	examples := []dataset.Example{
		{Text: "The word \"multipolar\" appeared nine times.", Labels: []string{"none"}, Hard: "keyword without stance"},
	}
	if err := dataset.WriteJSONL(os.Stdout, examples); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"text":"The word \"multipolar\" appeared nine times.","labels":["none"],"hard":"keyword without stance"}
}
