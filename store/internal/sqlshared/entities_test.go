package sqlshared

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/device"
)

func TestValidateOrg(t *testing.T) {
	settings, err := ValidateOrg(op, &leadcall.Org{ID: "org", Settings: leadcall.Settings{DefaultRegion: "GB"}})
	require.NoError(t, err)
	var back leadcall.Settings
	require.NoError(t, FromJSON(settings, &back))
	require.Equal(t, "GB", back.DefaultRegion)

	for field, o := range map[string]*leadcall.Org{
		"org":        nil,
		"id":         {},
		"seat_limit": {ID: "org", SeatLimit: -1},
	} {
		_, err := ValidateOrg(op, o)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateRep(t *testing.T) {
	require.NoError(t, ValidateRep(op, &leadcall.Rep{OrgID: "org", ID: "r"}))
	requireInvalid(t, ValidateRep(op, nil), "rep", "required")
	requireInvalid(t, ValidateRep(op, &leadcall.Rep{ID: "r"}), "org_id", "required")
	requireInvalid(t, ValidateRep(op, &leadcall.Rep{OrgID: "org"}), "id", "required")
}

func TestValidateAssignment(t *testing.T) {
	md, err := ValidateAssignment(op, &leadcall.Assignment{OrgID: "org", DeviceID: "d", Start: t0,
		Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	require.JSONEq(t, `{"k":"v"}`, md)

	for field, a := range map[string]*leadcall.Assignment{
		"assignment": nil,
		"org_id":     {DeviceID: "d", Start: t0},
		"device_id":  {OrgID: "org", Start: t0},
		"start":      {OrgID: "org", DeviceID: "d"},
		"end":        {OrgID: "org", DeviceID: "d", Start: t0, End: t0.Add(time.Hour)},
	} {
		_, err := ValidateAssignment(op, a)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateCorrection(t *testing.T) {
	after, md, err := ValidateCorrection(op, &leadcall.AssignmentCorrection{OrgID: "org", Reason: "typo",
		LeadSource: "Expo", Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	var p AssignmentPayload
	require.NoError(t, json.Unmarshal([]byte(after), &p))
	require.Equal(t, AssignmentPayload{LeadSource: "Expo", Metadata: map[string]string{"k": "v"}}, p)
	require.JSONEq(t, `{"k":"v"}`, md)

	for field, c := range map[string]*leadcall.AssignmentCorrection{
		"correction": nil,
		"org_id":     {Reason: "typo"},
		"reason":     {OrgID: "org", Reason: " \t\n"},
	} {
		_, _, err := ValidateCorrection(op, c)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateDevice(t *testing.T) {
	require.NoError(t, ValidateDevice(op, &leadcall.Device{OrgID: "org", ID: "d", Kind: device.KindCampaign}))
	requireInvalid(t, ValidateDevice(op, nil), "device", "required")
	requireInvalid(t, ValidateDevice(op, &leadcall.Device{ID: "d", Kind: device.KindCampaign}), "org_id", "required")
	requireInvalid(t, ValidateDevice(op, &leadcall.Device{OrgID: "org", Kind: device.KindCampaign}), "id", "required")
	requireInvalid(t, ValidateDevice(op, &leadcall.Device{OrgID: "org", ID: "d", Kind: "robot"}), "kind",
		`must be "campaign" or "sales_rep"`)
}

func TestValidateHeartbeat(t *testing.T) {
	sims, err := ValidateHeartbeat(op, &leadcall.Heartbeat{OrgID: "org", DeviceID: "d",
		SIMs: []leadcall.SIM{{Slot: 1, Number: "+441632960000"}}})
	require.NoError(t, err)
	require.JSONEq(t, `[{"slot":1,"number":"+441632960000"}]`, sims)

	for field, hb := range map[string]*leadcall.Heartbeat{
		"heartbeat": nil,
		"org_id":    {DeviceID: "d"},
		"device_id": {OrgID: "org"},
	} {
		_, err := ValidateHeartbeat(op, hb)
		requireInvalid(t, err, field, "")
	}
}

func TestValidateEvent(t *testing.T) {
	require.NoError(t, ValidateEvent(op, &leadcall.Event{OrgID: "org", Type: leadcall.EventSyncPaused}))
	require.NoError(t, ValidateEvent(op, &leadcall.Event{OrgID: "org", Type: leadcall.EventSyncPaused, Data: []byte(`{"a":1}`)}))
	requireInvalid(t, ValidateEvent(op, &leadcall.Event{Type: leadcall.EventSyncPaused}), "org_id", "required")
	requireInvalid(t, ValidateEvent(op, &leadcall.Event{OrgID: "org"}), "type", "required")
	requireInvalid(t, ValidateEvent(op, &leadcall.Event{OrgID: "org", Type: leadcall.EventSyncPaused,
		Data: []byte(`{"a":`)}), "data", "not valid JSON")
}
