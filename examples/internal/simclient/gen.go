package simclient

import (
	"fmt"
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
	mu   sync.Mutex
	rng  *rand.Rand
	seen []string // ten national digits
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
	// Only makes every call syncable on a campaign phone: missed or answered for long enough,
	// from a visible number. The load program uses it so that every call reaches the CRM.
	SyncableOnly bool
}

// Phone makes the calls of one simulated device: campaign phones mostly receive calls (missed
// and answered) from new and repeat callers; rep phones mostly call back numbers that rang
// before. It is not safe for concurrent use; each device goroutine owns its Phone.
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
	switch {
	case p.mix.SyncableOnly || p.kind == KindCampaign:
		switch {
		case r < 0.55:
			c.Type = string(leadcall.CallMissed)
		case r < 0.9 || p.mix.SyncableOnly:
			c.Type, c.DurationS = string(leadcall.CallInbound), 30+p.rng.IntN(600)
		default:
			c.Type, c.DurationS = string(leadcall.CallOutbound), p.rng.IntN(300)
		}
	default: // a rep's phone: callbacks first
		switch {
		case r < 0.6:
			c.Type, c.DurationS = string(leadcall.CallOutbound), p.rng.IntN(900)
			d, _ := p.callers.pick(0.9)
			c.Number = numberFormats[p.rng.IntN(len(numberFormats))](d)
			return c
		case r < 0.85:
			c.Type, c.DurationS = string(leadcall.CallInbound), 5+p.rng.IntN(600)
		default:
			c.Type = string(leadcall.CallMissed)
		}
	}
	d, _ := p.callers.pick(p.mix.Repeat)
	c.Number = numberFormats[p.rng.IntN(len(numberFormats))](d)
	return c
}

// SIMNumber returns a plausible SIM number for the i-th simulated phone.
func SIMNumber(i int) string { return fmt.Sprintf("+9190000%05d", i%100_000) }
