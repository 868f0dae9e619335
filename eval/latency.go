package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// Latency summarises the call durations of a timed evaluation run. In JSON
// the durations are float milliseconds: p50_ms, p90_ms, p99_ms, mean_ms.
type Latency struct {
	// P50, P90 and P99 are nearest-rank percentiles of the call durations.
	P50, P90, P99 time.Duration
	// Mean is the mean call duration.
	Mean time.Duration
	// Throughput is the number of items classified per second of wall time.
	Throughput float64
	// Calls is the number of timed calls.
	Calls int
}

// latencyJSON is the wire form of Latency.
type latencyJSON struct {
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Mean       float64 `json:"mean_ms"`
	Throughput float64 `json:"throughput"`
	Calls      int     `json:"calls"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fromMS(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Millisecond))) }

// MarshalJSON writes the durations as float milliseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(latencyJSON{
		P50:        ms(l.P50),
		P90:        ms(l.P90),
		P99:        ms(l.P99),
		Mean:       ms(l.Mean),
		Throughput: l.Throughput,
		Calls:      l.Calls,
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Latency) UnmarshalJSON(data []byte) error {
	var w latencyJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode latency: %w", err)
	}
	*l = Latency{
		P50:        fromMS(w.P50),
		P90:        fromMS(w.P90),
		P99:        fromMS(w.P99),
		Mean:       fromMS(w.Mean),
		Throughput: w.Throughput,
		Calls:      w.Calls,
	}
	return nil
}

// LatencyOf summarises the durations of calls that classified items in
// total over wall time. Percentiles are nearest-rank: the p-th percentile
// is the ceil(p/100 × n)-th smallest duration. Throughput is items per
// second of wall, 0 when wall is not positive. With no durations all
// durations are 0.
func LatencyOf(durations []time.Duration, items int, wall time.Duration) *Latency {
	l := &Latency{Calls: len(durations)}
	if wall > 0 {
		l.Throughput = float64(items) / wall.Seconds()
	}
	if len(durations) == 0 {
		return l
	}
	d := slices.Clone(durations)
	slices.Sort(d)
	l.P50 = nearestRank(d, 50)
	l.P90 = nearestRank(d, 90)
	l.P99 = nearestRank(d, 99)
	var sum float64
	for _, v := range d {
		sum += float64(v)
	}
	l.Mean = time.Duration(math.Round(sum / float64(len(d))))
	return l
}

// nearestRank returns the p-th percentile of the sorted, non-empty d.
func nearestRank(d []time.Duration, p int) time.Duration {
	rank := (p*len(d) + 99) / 100 // ceil(p/100 × n)
	return d[min(max(rank, 1), len(d))-1]
}
