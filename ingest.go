package leadcall

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadcall/leadcall/attribution"
	"github.com/leadcall/leadcall/device"
	"github.com/leadcall/leadcall/phone"
)

// Input limits for one call.
const (
	MaxDeviceCallIDLen = 128
	MaxCallDurationS   = 24 * 60 * 60
	MaxSIMSlot         = 7
)

// Ingest stores a batch of calls from one device, idempotently on (org, device, device call
// ID), and returns one result per call in order. A call that is malformed is rejected with its
// own reason (IngestResult.Err, CodeInvalid with the field) while the rest are stored; a call
// whose number cannot be parsed is stored and marked invalid_number, never dropped. Accepted
// calls are committed before Ingest returns, and their sync jobs are enqueued in the same
// transaction.
//
// The error is for the batch as a whole, when nothing was stored: CodeInvalid for a batch
// above MaxBatch, CodeNotFound for an unknown org or device, CodeUnavailable when the store
// could not commit (the caller should send the batch again).
func (e *Engine) Ingest(ctx context.Context, orgID, deviceID string, calls []IncomingCall) ([]IngestResult, error) {
	const op = "leadcall: ingest"
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	if len(calls) > e.cfg.MaxBatch {
		return nil, &Error{Code: CodeInvalid, Op: op, Field: "calls",
			Message: fmt.Sprintf("batch of %d calls is above the limit of %d; send smaller batches", len(calls), e.cfg.MaxBatch)}
	}
	org, err := e.store.Org(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	dev, err := e.store.Device(ctx, orgID, deviceID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	own, err := e.store.OwnNumbers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	now := e.now().UTC()
	results := make([]IngestResult, len(calls))
	pending := make([]NewCall, 0, len(calls))
	pendingIdx := make([]int, 0, len(calls))
	seen := make(map[string]bool, len(calls))
	for i := range calls {
		in := &calls[i]
		results[i].ID = in.ID
		if verr := e.validateCall(in, now); verr != nil {
			results[i].Status = IngestRejected
			results[i].Err = verr
			continue
		}
		if seen[in.ID] {
			results[i].Status = IngestDuplicate
			continue
		}
		seen[in.ID] = true
		c, review, err := e.buildCall(ctx, org, dev, own, in, now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		pending = append(pending, NewCall{Call: c, Enqueue: c.SyncStatus == SyncPending, Review: review})
		pendingIdx = append(pendingIdx, i)
	}
	if len(pending) > 0 {
		res, err := e.store.InsertCalls(ctx, orgID, pending)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		enqueued := false
		for j, nc := range pending {
			i := pendingIdx[j]
			results[i].CallID = nc.Call.ID
			if res.Inserted[j] {
				results[i].Status = IngestAccepted
				enqueued = enqueued || nc.Enqueue
			} else {
				results[i].Status = IngestDuplicate
			}
		}
		e.publish(ctx, res.Events)
		e.touchRecovery(orgID, pending, res.Inserted)
		if enqueued {
			e.Wake()
		}
	}
	// Duplicates inside the batch point at the call stored for the first occurrence.
	for i := range results {
		if results[i].Status == IngestDuplicate && results[i].CallID == 0 {
			for j := range results[:i] {
				if results[j].ID == results[i].ID && results[j].CallID != 0 {
					results[i].CallID = results[j].CallID
					break
				}
			}
		}
	}
	return results, nil
}

// validateCall checks one incoming call's fields; the number is checked later (a bad number is
// stored, not rejected).
func (e *Engine) validateCall(in *IncomingCall, now time.Time) *Error {
	bad := func(field, format string, args ...any) *Error {
		return &Error{Code: CodeInvalid, Op: "leadcall: ingest", Field: field, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case in.ID == "":
		return bad("id", "a device call ID is required")
	case len(in.ID) > MaxDeviceCallIDLen:
		return bad("id", "longer than %d bytes", MaxDeviceCallIDLen)
	case !utf8.ValidString(in.ID) || strings.ContainsFunc(in.ID, func(r rune) bool { return !unicode.IsPrint(r) }):
		return bad("id", "must be printable UTF-8")
	case !CallType(in.Type).Valid():
		return bad("type", "unknown call type; want inbound, missed or outbound")
	case in.StartedAt.IsZero():
		return bad("started_at", "required (RFC 3339)")
	case in.StartedAt.After(now.Add(e.cfg.MaxClockSkew)):
		return bad("started_at", "more than %s in the future; check the device clock", e.cfg.MaxClockSkew)
	case in.StartedAt.Before(now.Add(-e.cfg.MaxCallAge)):
		return bad("started_at", "older than %s", e.cfg.MaxCallAge)
	case in.DurationS < 0:
		return bad("duration_s", "must not be negative")
	case in.DurationS > MaxCallDurationS:
		return bad("duration_s", "above %d seconds", MaxCallDurationS)
	case in.SIMSlot < 0 || in.SIMSlot > MaxSIMSlot:
		return bad("sim_slot", "must be between 0 and %d", MaxSIMSlot)
	case len(in.Number) > phone.MaxInputBytes:
		return bad("number", "longer than %d bytes", phone.MaxInputBytes)
	case len(in.SIMNumber) > phone.MaxInputBytes:
		return bad("sim_number", "longer than %d bytes", phone.MaxInputBytes)
	case !utf8.ValidString(in.Number) || !utf8.ValidString(in.SIMNumber):
		return bad("number", "must be valid UTF-8")
	}
	return nil
}

// buildCall normalises, disposes and attributes one validated call.
func (e *Engine) buildCall(ctx context.Context, org *Org, dev *Device, own []string, in *IncomingCall, now time.Time) (*Call, *ReviewItem, error) {
	s := &org.Settings
	c := &Call{
		OrgID:        org.ID,
		DeviceID:     dev.ID,
		DeviceCallID: in.ID,
		NumberRaw:    in.Number,
		Type:         CallType(in.Type),
		StartedAt:    in.StartedAt.UTC(),
		DurationS:    in.DurationS,
		SIMSlot:      in.SIMSlot,
		ReceivedAt:   now,
		DeviceKind:   dev.Kind,
		RepID:        dev.RepID,
	}
	if in.SIMNumber != "" {
		if n, err := phone.Normalize(in.SIMNumber, s.DefaultRegion); err == nil {
			c.SIMNumber = n.E164
		} else {
			c.SIMNumber = in.SIMNumber
		}
	}
	private := phone.IsPrivate(in.Number)
	if !private {
		if n, err := phone.Normalize(in.Number, s.DefaultRegion); err == nil {
			c.NumberE164 = n.E164
		}
	}
	e164 := c.NumberE164
	c.Disposition, c.Reason = Dispose(DispositionInput{
		DeviceKind:     dev.Kind,
		DeviceActive:   dev.Active,
		EnrolledAt:     dev.EnrolledAt,
		Type:           c.Type,
		StartedAt:      c.StartedAt,
		DurationS:      c.DurationS,
		Private:        private,
		NumberE164:     e164,
		OwnNumber:      e164 != "" && (slices.Contains(own, e164) || e164 == c.SIMNumber),
		InternalNumber: e164 != "" && slices.Contains(s.Rules.InternalNumbers, e164),
		BlockedNumber:  e164 != "" && slices.Contains(s.Rules.BlockedNumbers, e164),
		Rules:          s.Rules,
	})
	if dev.Kind == device.KindCampaign {
		id, source, err := e.attribute(ctx, dev, c.StartedAt)
		if err != nil {
			return nil, nil, err
		}
		c.AssignmentID, c.LeadSource = id, source
	}
	c.SyncStatus = SyncNone
	if c.Disposition == DispositionSync {
		c.SyncStatus = SyncPending
	}
	var review *ReviewItem
	if c.Reason == ReasonInvalidNumber && dev.Kind == device.KindCampaign && c.Type != CallOutbound {
		review = &ReviewItem{
			OrgID:     org.ID,
			Kind:      ReviewInvalidNumber,
			Status:    ReviewOpen,
			Detail:    "the caller's number could not be read as a phone number",
			CreatedAt: now,
		}
	}
	return c, review, nil
}

// attribute resolves the device's assignment at t from the cached timeline, reloading it from
// the store when the device's AssignmentsVersion says the cache is stale.
func (e *Engine) attribute(ctx context.Context, dev *Device, t time.Time) (int64, string, error) {
	key := dev.OrgID + "\x00" + dev.ID
	e.attrMu.Lock()
	loaded, ok := e.attrSeen[key]
	e.attrMu.Unlock()
	if !ok || loaded != dev.AssignmentsVersion {
		if err := e.loadTimeline(ctx, dev, key); err != nil {
			return 0, "", err
		}
	}
	iv, found := e.attr.Resolve(key, t)
	if !found {
		return 0, "", nil
	}
	e.attrMu.Lock()
	source := e.leadSources[iv.ID]
	e.attrMu.Unlock()
	return iv.ID, source, nil
}

func (e *Engine) loadTimeline(ctx context.Context, dev *Device, key string) error {
	as, err := e.store.Assignments(ctx, dev.OrgID, dev.ID)
	if err != nil {
		return err
	}
	ivs := make([]attribution.Interval, len(as))
	for i, a := range as {
		ivs[i] = attribution.Interval{ID: a.ID, Start: a.Start, End: a.End}
	}
	if err := e.attr.Load(key, ivs); err != nil {
		return NewError(CodeInternal, "leadcall: load assignments", err)
	}
	e.attrMu.Lock()
	defer e.attrMu.Unlock()
	e.attrSeen[key] = dev.AssignmentsVersion
	for _, a := range as {
		e.leadSources[a.ID] = a.LeadSource
	}
	return nil
}
