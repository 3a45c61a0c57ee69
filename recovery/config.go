package recovery

import (
	"errors"
	"fmt"
	"time"
)

// Defaults and limits of Config.
const (
	// DefaultConnectedMinSeconds is the org setting rules.connected_min_seconds by default.
	DefaultConnectedMinSeconds = 1
	// DefaultWindow is how long a case waits for a connection after its last miss.
	DefaultWindow = 7 * 24 * time.Hour
	// DefaultSLA is how soon after the first miss a first attempt is due.
	DefaultSLA = 15 * time.Minute

	// MaxConnectedMinSeconds is the largest ConnectedMinSeconds (a day, as the org setting).
	MaxConnectedMinSeconds = 24 * 60 * 60
	// MaxWindow is the largest Window.
	MaxWindow = 366 * 24 * time.Hour
)

// Config holds the recovery rules of an org.
type Config struct {
	// ConnectedMinSeconds is how long an outbound attempt must last to count as a connected
	// callback, between 0 and MaxConnectedMinSeconds. Zero is a real setting (every attempt
	// connects), so it has no zero default: start from DefaultConfig or pass the org's
	// rules.connected_min_seconds.
	ConnectedMinSeconds int
	// Window is how long after its last miss a case without a connection expires, at most
	// MaxWindow. Zero means DefaultWindow.
	Window time.Duration
	// SLA is how soon after a case's first miss an attempt is due, at most Window. Zero means
	// DefaultSLA.
	SLA time.Duration
}

// DefaultConfig returns the default rules: DefaultConnectedMinSeconds, DefaultWindow and
// DefaultSLA.
func DefaultConfig() Config {
	return Config{ConnectedMinSeconds: DefaultConnectedMinSeconds, Window: DefaultWindow, SLA: DefaultSLA}
}

// withDefaults fills the zero durations.
func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.SLA == 0 {
		c.SLA = DefaultSLA
	}
	return c
}

// Validate reports every field out of range, after zero durations take their defaults. The
// error wraps ErrInvalidConfig.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if c.ConnectedMinSeconds < 0 || c.ConnectedMinSeconds > MaxConnectedMinSeconds {
		bad("ConnectedMinSeconds must be between 0 and %d, got %d", MaxConnectedMinSeconds, c.ConnectedMinSeconds)
	}
	if c.Window < 0 || c.Window > MaxWindow {
		bad("Window must be between 0 (default) and %v, got %v", MaxWindow, c.Window)
	}
	switch {
	case c.SLA < 0:
		bad("SLA must not be negative, got %v", c.SLA)
	case c.Window > 0 && c.SLA > c.Window:
		bad("SLA (%v) must not exceed Window (%v)", c.SLA, c.Window)
	}
	return errors.Join(errs...)
}

// Matcher applies one Config. It is immutable and safe for concurrent use.
type Matcher struct {
	cfg Config
}

// New returns a Matcher for cfg, whose zero durations take their defaults. It returns an
// error wrapping ErrInvalidConfig when a field is out of range.
func New(cfg Config) (*Matcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Matcher{cfg: cfg.withDefaults()}, nil
}

// Config returns the Matcher's rules, defaults filled in.
func (m *Matcher) Config() Config { return m.cfg }
