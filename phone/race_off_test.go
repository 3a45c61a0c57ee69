//go:build !race

package phone

// raceEnabled is true when the tests run with the race detector.
const raceEnabled = false
