//go:build !race

package e2e_test

// raceEnabled is whether this test binary runs under the race detector.
const raceEnabled = false
