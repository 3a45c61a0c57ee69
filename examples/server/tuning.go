package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/leadcall/leadcall"
)

// parseTuning reads the numeric flags (-lease, -engine-poll, -zoho-rps, -zoho-burst) into c;
// empty strings keep the zero value, which means the component's default.
func parseTuning(c *Config, lease, enginePoll, zohoRPS, zohoBurst string) error {
	var err error
	if c.Lease, err = parsePositiveDuration("lease", lease); err != nil {
		return err
	}
	if c.EnginePoll, err = parsePositiveDuration("engine-poll", enginePoll); err != nil {
		return err
	}
	if zohoRPS != "" {
		v, err := strconv.ParseFloat(zohoRPS, 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v > 1e6 {
			return fmt.Errorf("-zoho-rps %q: want a number of requests per second above 0, at most 1e6", zohoRPS)
		}
		c.ZohoRPS = v
	}
	if zohoBurst != "" {
		v, err := strconv.Atoi(zohoBurst)
		if err != nil || v < 1 || v > 1_000_000 {
			return fmt.Errorf("-zoho-burst %q: want a whole number from 1 to 1000000", zohoBurst)
		}
		c.ZohoBurst = v
	}
	return nil
}

func parsePositiveDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("-%s %q: want a positive duration such as 30s", name, s)
	}
	return d, nil
}

// crmTimeout is the Engine's CRM timeout for a lease: the Engine's default, or a third of a
// lease too short for it (the Engine wants the lease to cover three requests).
func crmTimeout(lease time.Duration) time.Duration {
	if lease > 0 && lease < 3*leadcall.DefaultCRMTimeout {
		return lease / 3
	}
	return 0
}
