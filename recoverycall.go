package leadcall

import "github.com/leadcall/leadcall/recovery"

// RecoveryCall is the recovery package's view of a stored call: the one mapping the Engine,
// exports and reports share, so that they all see the same cases. A call ignored for any
// reason counts for nothing in recovery, and one from a deactivated device is marked so.
func RecoveryCall(c *Call) recovery.Call {
	return recovery.Call{
		ID: c.ID, DeviceID: c.DeviceID, DeviceKind: recovery.DeviceKind(c.DeviceKind),
		DeviceInactive: c.Reason == ReasonDeviceInactive, RepID: c.RepID, NumberE164: c.NumberE164,
		Type: recovery.CallType(c.Type), StartedAt: c.StartedAt, DurationS: c.DurationS,
		Ignored: c.Disposition == DispositionIgnored, AssignmentID: c.AssignmentID, LeadSource: c.LeadSource,
	}
}
