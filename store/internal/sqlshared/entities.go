package sqlshared

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

// ValidateOrg checks an org for CreateOrg and UpdateOrg and returns its Settings as JSON.
func ValidateOrg(op string, o *leadcall.Org) (settings string, err error) {
	switch {
	case o == nil:
		return "", Invalid(op, "org", "required")
	case o.ID == "":
		return "", Invalid(op, "id", "required")
	case o.SeatLimit < 0:
		return "", Invalid(op, "seat_limit", "must not be negative")
	}
	settings, err = ToJSON(o.Settings)
	if err != nil {
		return "", Invalid(op, "settings", "%v", err)
	}
	return settings, nil
}

// ValidateRep checks a rep for CreateRep and UpdateRep.
func ValidateRep(op string, r *leadcall.Rep) error {
	switch {
	case r == nil:
		return Invalid(op, "rep", "required")
	case r.OrgID == "":
		return Invalid(op, "org_id", "required")
	case r.ID == "":
		return Invalid(op, "id", "required")
	}
	return nil
}

// PauseData is the Data of a sync.paused event.
type PauseData struct {
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// ResumeData is the Data of a sync.resumed event.
type ResumeData struct {
	Reason string `json:"reason"`
}

// ValidateAssignment checks a new assignment for SetAssignment (open: End is zero) and
// returns its Metadata as JSON.
func ValidateAssignment(op string, a *leadcall.Assignment) (metadata string, err error) {
	switch {
	case a == nil:
		return "", Invalid(op, "assignment", "required")
	case a.OrgID == "":
		return "", Invalid(op, "org_id", "required")
	case a.DeviceID == "":
		return "", Invalid(op, "device_id", "required")
	case a.Start.IsZero():
		return "", Invalid(op, "start", "required")
	case !a.End.IsZero():
		return "", Invalid(op, "end", "a new assignment is open: end must be zero")
	}
	metadata, err = ToJSON(a.Metadata)
	if err != nil {
		return "", Invalid(op, "metadata", "%v", err)
	}
	return metadata, nil
}

// AssignmentPayload is what an assignment correction changes; the audit keeps it before and
// after.
type AssignmentPayload struct {
	LeadSource string            `json:"lead_source"`
	Metadata   map[string]string `json:"metadata"`
}

// ValidateCorrection checks a CorrectAssignment correction, which needs a reason, and returns
// the audit's after payload and the new Metadata, as JSON.
func ValidateCorrection(op string, c *leadcall.AssignmentCorrection) (after, metadata string, err error) {
	switch {
	case c == nil:
		return "", "", Invalid(op, "correction", "required")
	case c.OrgID == "":
		return "", "", Invalid(op, "org_id", "required")
	case strings.TrimSpace(c.Reason) == "":
		return "", "", Invalid(op, "reason", "required")
	}
	after, err = ToJSON(AssignmentPayload{LeadSource: c.LeadSource, Metadata: c.Metadata})
	if err != nil {
		return "", "", Invalid(op, "metadata", "%v", err)
	}
	metadata, err = ToJSON(c.Metadata)
	if err != nil {
		return "", "", Invalid(op, "metadata", "%v", err)
	}
	return after, metadata, nil
}

// ValidateDevice checks a device for CreateDevice and UpdateDevice.
func ValidateDevice(op string, d *leadcall.Device) error {
	switch {
	case d == nil:
		return Invalid(op, "device", "required")
	case d.OrgID == "":
		return Invalid(op, "org_id", "required")
	case d.ID == "":
		return Invalid(op, "id", "required")
	case !d.Kind.Valid():
		return Invalid(op, "kind", "must be %q or %q", device.KindCampaign, device.KindSalesRep)
	}
	return nil
}

// ValidateHeartbeat checks a RecordHeartbeat heartbeat and returns its SIMs as JSON.
func ValidateHeartbeat(op string, hb *leadcall.Heartbeat) (sims string, err error) {
	switch {
	case hb == nil:
		return "", Invalid(op, "heartbeat", "required")
	case hb.OrgID == "":
		return "", Invalid(op, "org_id", "required")
	case hb.DeviceID == "":
		return "", Invalid(op, "device_id", "required")
	}
	sims, err = ToJSON(hb.SIMs)
	if err != nil {
		return "", Invalid(op, "sims", "%v", err)
	}
	return sims, nil
}

// ValidateEvent checks an event for AppendEvents: an org, a type, and Data that is empty or
// valid JSON.
func ValidateEvent(op string, ev *leadcall.Event) error {
	switch {
	case ev.OrgID == "":
		return Invalid(op, "org_id", "required")
	case ev.Type == "":
		return Invalid(op, "type", "required")
	case len(ev.Data) > 0 && !json.Valid(ev.Data):
		return Invalid(op, "data", "not valid JSON")
	}
	return nil
}
