package recovery_test

import (
	"fmt"
	"testing"

	"github.com/leadcall/leadcall/recovery"
)

// benchCalls is an org's history: callers callers with a miss, a second miss, a short
// attempt and a connected callback each, in reverse time order.
func benchCalls(callers int) []recovery.Call {
	calls := make([]recovery.Call, 0, 4*callers)
	id := int64(0)
	for i := range callers {
		number := fmt.Sprintf("+1415%07d", i)
		for _, c := range []recovery.Call{miss(0, i), miss(0, i+1), callback(0, i+2, 0), callback(0, i+3, 60)} {
			id++
			c.ID, c.NumberE164 = id, number
			calls = append(calls, c)
		}
	}
	for i, j := 0, len(calls)-1; i < j; i, j = i+1, j-1 {
		calls[i], calls[j] = calls[j], calls[i]
	}
	return calls
}

func BenchmarkBuild(b *testing.B) {
	m := mustMatcher(b, recovery.DefaultConfig())
	for _, callers := range []int{1, 100, 10_000} {
		calls := benchCalls(callers)
		b.Run(fmt.Sprintf("calls=%d", len(calls)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cases, err := m.Build(calls, at(callers+10))
				if err != nil || len(cases) != callers {
					b.Fatalf("Build: %d cases, %v", len(cases), err)
				}
			}
		})
	}
}

func BenchmarkApply(b *testing.B) {
	m := mustMatcher(b, recovery.DefaultConfig())
	calls := benchCalls(1)
	b.ReportAllocs()
	for b.Loop() {
		var cur *recovery.Case
		for i := len(calls) - 1; i >= 0; i-- {
			opened, _, err := m.Apply(cur, calls[i])
			if err != nil {
				b.Fatal(err)
			}
			if opened != nil {
				cur = opened
			}
		}
	}
}
