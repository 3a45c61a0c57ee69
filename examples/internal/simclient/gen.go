package simclient

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/leadcall/leadcall"
)

// Device kinds as the manager API spells them.
const (
	KindCampaign = "campaign"
	KindSalesRep = "sales_rep"
)

// Callers is a pool of Indian mobile numbers shared by every simulated phone, so that a number
// that rang one campaign phone can call again or be called back by a rep. It is safe for
// concurrent use.
type Callers struct {
	mu     sync.Mutex
	rng    *rand.Rand
	seen   []string       // ten national digits
	missed []missedCaller // callers a campaign phone missed, oldest first, not yet called back
}

type missedCaller struct {
	digits string
	at     time.Time
}

// maxMissed bounds the callback list; the oldest misses beyond it are never called back.
const maxMissed = 10_000

// noteMissed remembers a caller that a campaign phone missed at at, for a callback.
func (p *Callers) noteMissed(digits string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.missed) >= maxMissed {
		p.missed = p.missed[1:]
	}
	p.missed = append(p.missed, missedCaller{digits: digits, at: at})
}

// takeMissed returns the caller missed longest ago that no phone has called back yet, if that
// miss is at least after old at now.
func (p *Callers) takeMissed(now time.Time, after time.Duration) (digits string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.missed) == 0 || now.Sub(p.missed[0].at) < after {
		return "", false
	}
	digits = p.missed[0].digits
	p.missed = p.missed[1:]
	return digits, true
}

// Missed reports how many missed callers wait for a callback.
func (p *Callers) Missed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.missed)
}

// NewCallers returns an empty pool with a deterministic random source.
func NewCallers(seed uint64) *Callers {
	return &Callers{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// pick returns a repeat caller with probability repeat (when there is one), else a new number.
func (p *Callers) pick(repeat float64) (digits string, isRepeat bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.seen) > 0 && p.rng.Float64() < repeat {
		return p.seen[p.rng.IntN(len(p.seen))], true
	}
	// Indian mobiles: ten digits starting 6-9.
	d := fmt.Sprintf("%d%09d", 6+p.rng.IntN(4), p.rng.IntN(1_000_000_000))
	p.seen = append(p.seen, d)
	return d, false
}

// Formats a phone's call log uses for the same Indian number.
var numberFormats = []func(d string) string{
	func(d string) string { return "+91" + d },
	func(d string) string { return "0" + d },
	func(d string) string { return d[:5] + " " + d[5:] },
	func(d string) string { return "+91 " + d[:5] + "-" + d[5:] },
	func(d string) string { return "91" + d },
	func(d string) string { return "(+91) " + d[:5] + " " + d[5:] },
	func(d string) string { return "0" + d[:5] + " " + d[5:] },
}

// privateNumbers are how phones report a withheld caller.
var privateNumbers = []string{"-1", "-2", "PRIVATE", "Unknown Number", "anonymous"}

// CallMix sets the shares of a phone's calls.
type CallMix struct {
	// Private is the share of calls from withheld numbers (the server ignores them).
	Private float64
	// Repeat is the share of callers who called before.
	Repeat float64
	// Callback is the share of a phone's outbound calls that call back a caller a campaign
	// phone missed (the oldest not yet called back), so that the recovery board both fills
	// and empties. Zero: DefaultCallback.
	Callback float64
	// CallbackAfter is how long a missed caller waits at least before a phone calls back, so
	// that the recovery board shows open cases with running timers for a while.
	CallbackAfter time.Duration
	// SyncableOnly makes every call syncable: missed or answered for long enough, from a
	// visible number. The load program uses it so that every call on a campaign phone
	// reaches the CRM.
	SyncableOnly bool
}

// DefaultCallback is CallMix.Callback's default.
const DefaultCallback = 0.7

// talk returns a plausible conversation length in seconds: a few minutes typically, now and
// then much longer (log-normal, median about 90 s, at most an hour).
func (p *Phone) talk() int {
	return min(max(int(math.Exp(4.5+p.rng.NormFloat64())), 3), 3600)
}

// outbound fills c as a call the phone made: a callback to a missed caller when there is one
// (share Callback), else a call to a known or new number. Two callbacks in ten go unanswered.
func (p *Phone) outbound(c *leadcall.IncomingCall, now time.Time) {
	c.Type = string(leadcall.CallOutbound)
	d, ok := "", false
	if p.rng.Float64() < cmp.Or(p.mix.Callback, DefaultCallback) {
		d, ok = p.callers.takeMissed(now, p.mix.CallbackAfter)
	}
	if !ok {
		d, _ = p.callers.pick(0.9)
	}
	if p.rng.Float64() < 0.2 {
		c.DurationS = p.rng.IntN(10) // rang out, or a short voicemail: an attempt
	} else {
		c.DurationS = p.talk()
	}
	c.Number = numberFormats[p.rng.IntN(len(numberFormats))](d)
}

// Phone makes the calls of one simulated device: campaign phones mostly receive calls (half of
// them missed) from new and repeat callers; rep phones mostly call back the callers campaign
// phones missed, oldest first, and the rest of the time call or take calls from known numbers.
// Conversations last from seconds to an hour, a few minutes typically. It is not safe for concurrent use; each device goroutine owns its Phone.
type Phone struct {
	kind    string
	prefix  string
	sim     string
	mix     CallMix
	callers *Callers
	rng     *rand.Rand
	seq     int
}

// NewPhone returns the call source of one device; prefix keeps its call IDs unique and sim is
// its own SIM number.
func NewPhone(kind, prefix, sim string, mix CallMix, callers *Callers, seed uint64) *Phone {
	return &Phone{kind: kind, prefix: prefix, sim: sim, mix: mix, callers: callers, rng: rand.New(rand.NewPCG(seed, 7))}
}

// Next returns the phone's next call, started at now (after enrollment, so the server keeps it).
func (p *Phone) Next(now time.Time) leadcall.IncomingCall {
	p.seq++
	c := leadcall.IncomingCall{
		ID: fmt.Sprintf("%s-%06d", p.prefix, p.seq), StartedAt: now.UTC().Truncate(time.Millisecond),
		SIMSlot: 1, SIMNumber: p.sim,
	}
	if !p.mix.SyncableOnly && p.rng.Float64() < p.mix.Private {
		c.Number = privateNumbers[p.rng.IntN(len(privateNumbers))]
		c.Type = string(leadcall.CallMissed)
		return c
	}
	r := p.rng.Float64()
	if p.mix.SyncableOnly {
		if r < 0.55 {
			c.Type = string(leadcall.CallMissed)
		} else {
			c.Type, c.DurationS = string(leadcall.CallInbound), 30+p.rng.IntN(600)
		}
		d, _ := p.callers.pick(p.mix.Repeat)
		c.Number = numberFormats[p.rng.IntN(len(numberFormats))](d)
		return c
	}
	switch {
	case p.kind == KindCampaign && r < 0.5, p.kind != KindCampaign && r < 0.15:
		c.Type = string(leadcall.CallMissed)
	case p.kind == KindCampaign && r < 0.9, p.kind != KindCampaign && r < 0.4:
		c.Type, c.DurationS = string(leadcall.CallInbound), p.talk()
	default: // campaign phones call back now and then; reps mostly call back
		p.outbound(&c, now)
		return c
	}
	d, _ := p.callers.pick(p.mix.Repeat)
	if p.kind == KindCampaign && c.Type == string(leadcall.CallMissed) {
		p.callers.noteMissed(d, now)
	}
	c.Number = numberFormats[p.rng.IntN(len(numberFormats))](d)
	return c
}

// SIMNumber returns a plausible SIM number for the i-th simulated phone.
func SIMNumber(i int) string { return fmt.Sprintf("+9190000%05d", i%100_000) }
