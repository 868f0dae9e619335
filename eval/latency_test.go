package eval

import (
	"encoding/json"
	"testing"
	"time"
)

func TestLatencyOf(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		name string
		d    []time.Duration
		wall time.Duration
		want Latency
	}{
		{
			// Nearest rank on 1..100 ms: the p-th percentile is p ms.
			// Mean = 5050/100 = 50.5 ms; 400 items in 2 s = 200 items/s.
			name: "1..100 ms", d: d, wall: 2 * time.Second,
			want: Latency{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond,
				Mean: 50500 * time.Microsecond, Throughput: 200, Calls: 100},
		},
		{
			// Ranks ceil(0.5·3)=2, ceil(0.9·3)=3, ceil(0.99·3)=3.
			name: "three", d: []time.Duration{3, 1, 2}, wall: 0,
			want: Latency{P50: 2, P90: 3, P99: 3, Mean: 2, Calls: 3},
		},
		{name: "empty", d: nil, wall: time.Second, want: Latency{Throughput: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LatencyOf(tt.d, 400, tt.wall)
			if got.P50 != tt.want.P50 || got.P90 != tt.want.P90 || got.P99 != tt.want.P99 ||
				got.Mean != tt.want.Mean || got.Calls != tt.want.Calls || !near(got.Throughput, tt.want.Throughput) {
				t.Errorf("LatencyOf = %+v, want %+v", *got, tt.want)
			}
		})
	}
	if d[0] != 100*time.Millisecond {
		t.Errorf("LatencyOf reordered its input")
	}
}

func TestLatencyJSON(t *testing.T) {
	l := Latency{P50: 1500 * time.Microsecond, P90: 2 * time.Millisecond, P99: 10 * time.Millisecond,
		Mean: 1750 * time.Microsecond, Throughput: 123.5, Calls: 7}
	got, err := json.Marshal(l)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	want := `{"p50_ms":1.5,"p90_ms":2,"p99_ms":10,"mean_ms":1.75,"throughput":123.5,"calls":7}`
	if string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var back Latency
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if back != l {
		t.Errorf("round trip = %+v, want %+v", back, l)
	}
	// Through a *Latency field of a report, as in report.json.
	r := Report{Latency: &l}
	js, err := r.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var rb Report
	if err := json.Unmarshal(js, &rb); err != nil {
		t.Fatalf("Unmarshal report: %v", err)
	}
	if rb.Latency == nil || *rb.Latency != l {
		t.Errorf("report round trip latency = %+v, want %+v", rb.Latency, l)
	}
}
