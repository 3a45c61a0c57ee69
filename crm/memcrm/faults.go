package memcrm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/leadcall/leadcall"
)

// Op names a CRM operation, for fault injection and request counters.
type Op string

// The operations of CRM, named after its methods.
const (
	OpFindByPhone   Op = "FindByPhone"
	OpFindBySyncKey Op = "FindBySyncKey"
	OpCreateLead    Op = "CreateLead"
	OpCreateCall    Op = "CreateCall"
	OpCreateTask    Op = "CreateTask"
	OpUsers         Op = "Users"
	OpFields        Op = "Fields"
	OpCreateBundle  Op = "CreateBundle"
	OpCompleteTask  Op = "CompleteTask"
	OpSyncKeyStatus Op = "SyncKeyStatus"
	// OpAny stands for every operation: in FailNext and FailRandomly it matches whichever
	// operation comes next, and Requests(OpAny) is the total.
	OpAny Op = "*"
)

// Ops returns every operation (OpAny excluded), in a fixed order.
func Ops() []Op {
	return []Op{OpFindByPhone, OpFindBySyncKey, OpCreateLead, OpCreateCall, OpCreateTask,
		OpUsers, OpFields, OpCreateBundle, OpCompleteTask, OpSyncKeyStatus}
}

// ErrInjected is in the chain of every error a Fault produces, so a test can tell injected
// failures from real ones.
var ErrInjected = errors.New("memcrm: injected fault")

// Fault is a failure to inject into one request.
type Fault struct {
	// Code classifies the returned error. CodeUnknown returns an error with no *leadcall.Error
	// in its chain: an unclassified failure, which the Engine must treat like CodeUnavailable.
	Code leadcall.Code
	// RetryAfter is set on the error; it matters for CodeRateLimited.
	RetryAfter time.Duration
	// Message replaces the error's default message, "injected fault".
	Message string
	// Commit makes the request take effect before it fails: the write is applied and its
	// response lost. The fault's error is returned whatever the request's own outcome was.
	// Use it with CodeUnavailable or CodeUnknown: other codes promise the write was not applied.
	Commit bool
	// Delay, in real time, passes before the request fails (or, with Commit, is applied). When
	// ctx ends first the request is not applied and returns ctx's error under CodeUnavailable.
	Delay time.Duration
}

func (f *Fault) err(op Op) error {
	msg := cmp.Or(f.Message, "injected fault")
	if f.Code == leadcall.CodeUnknown {
		return fmt.Errorf("%s: %s: %w", opName(op), msg, ErrInjected)
	}
	return &leadcall.Error{Code: f.Code, Op: opName(op), Message: msg, RetryAfter: f.RetryAfter, Err: ErrInjected}
}

type randomFault struct {
	p     float64
	fault Fault
}

// faults holds the scripted and random faults. Guarded by CRM.mu.
type faults struct {
	next   map[Op][]Fault
	random map[Op]randomFault
}

// pick returns the fault the next request of op gets, if any, and consumes it.
func (fs *faults) pick(op Op, rng *rand.Rand) (Fault, bool) {
	for _, o := range [...]Op{op, OpAny} {
		if q := fs.next[o]; len(q) > 0 {
			fs.next[o] = q[1:]
			return q[0], true
		}
	}
	for _, o := range [...]Op{op, OpAny} {
		if rf, ok := fs.random[o]; ok && rng.Float64() < rf.p {
			return rf.fault, true
		}
	}
	return Fault{}, false
}

// FailNext makes the next n requests of op (any operation for OpAny) fail with f. Scripted
// faults queue up in the order given; those for op itself come before those for OpAny, and
// all come before random ones.
func (c *CRM) FailNext(op Op, n int, f Fault) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.faults.next == nil {
		c.faults.next = make(map[Op][]Fault)
	}
	for range n {
		c.faults.next[op] = append(c.faults.next[op], f)
	}
}

// CommitThenFail makes the next n requests of op take effect and then fail with
// CodeUnavailable, as when a CRM commits a write and the response is lost on the way back.
func (c *CRM) CommitThenFail(op Op, n int) {
	c.FailNext(op, n, Fault{Code: leadcall.CodeUnavailable, Commit: true, Message: "response lost"})
}

// FailRandomly makes each request of op (every operation for OpAny) fail with f with
// probability p, drawn from the random source seeded by Config.Seed: with the same seed and
// the same sequence of requests, the same requests fail. p <= 0 removes the rule.
func (c *CRM) FailRandomly(op Op, p float64, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p <= 0 {
		delete(c.faults.random, op)
		return
	}
	if c.faults.random == nil {
		c.faults.random = make(map[Op]randomFault)
	}
	c.faults.random[op] = randomFault{p: min(p, 1), fault: f}
}

// ClearFaults removes every scripted and random fault.
func (c *CRM) ClearFaults() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = faults{}
}

// PendingFaults returns how many scripted faults (FailNext, CommitThenFail) are not used yet.
func (c *CRM) PendingFaults() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, q := range c.faults.next {
		n += len(q)
	}
	return n
}

// enter starts a request of op: it refuses a done ctx (without counting the request, which
// never reached the CRM), counts the request and applies a fault. It returns the fault when
// the request must run and then fail (Commit), or the error to return at once.
func (c *CRM) enter(ctx context.Context, op Op) (*Fault, error) {
	if err := ctx.Err(); err != nil {
		return nil, leadcall.NewError(leadcall.CodeUnavailable, opName(op), err)
	}
	c.mu.Lock()
	c.requests[op]++
	f, ok := c.faults.pick(op, c.rng)
	c.mu.Unlock()
	if !ok {
		return nil, nil
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, leadcall.NewError(leadcall.CodeUnavailable, opName(op), ctx.Err())
		case <-t.C:
		}
	}
	if f.Commit {
		return &f, nil
	}
	return nil, f.err(op)
}

// finish ends a request: a Commit fault replaces the outcome with its error.
func finish[T any](f *Fault, op Op, v T, err error) (T, error) {
	if f != nil {
		var zero T
		return zero, f.err(op)
	}
	return v, err
}
