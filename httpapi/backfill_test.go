package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
)

func TestBackfillRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	campaignID, campaign := e.pairedDevice("campaign")
	// Calls after the devices enrolled (earlier ones are ignored).
	base := time.Now().Add(time.Second).UTC().Truncate(time.Second)
	// The sync fails for good: the calls wait for a backfill.
	e.crm.FailNext(memcrm.OpFindByPhone, 2, memcrm.Fault{Code: leadcall.CodeInvalid})
	r := e.do("POST", "/v1/device/calls", campaign, map[string]any{"calls": []any{
		call("a", "9876512345", "missed", base),
		call("b", "9876512346", "inbound", base.Add(time.Minute)),
	}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.NoError(t, e.eng.Start())
	waitSync(t, e, leadcall.SyncFailed, 2)

	body := map[string]any{"from": base.Add(-time.Hour), "to": base.Add(time.Hour), "device_ids": []string{campaignID}, "dry_run": true}
	var dry leadcall.BackfillResult
	e.admin("POST", "/v1/backfill", body, http.StatusOK, &dry)
	require.True(t, dry.DryRun)
	require.Equal(t, 2, dry.Calls)
	var ops []leadcall.BackfillOp
	for _, w := range dry.Writes {
		ops = append(ops, w.Op)
	}
	require.Equal(t, []leadcall.BackfillOp{"create_lead", "create_call", "create_task", "create_lead", "create_call"}, ops)
	require.Zero(t, e.crm.Writes(), "a dry run writes nothing")

	body["dry_run"] = false
	var real leadcall.BackfillResult
	e.admin("POST", "/v1/backfill", body, http.StatusAccepted, &real)
	require.NotEmpty(t, real.ID)
	require.Equal(t, 2, real.Calls)
	waitSync(t, e, leadcall.SyncSynced, 2)
	require.Equal(t, len(dry.Writes), e.crm.Writes())

	evs, err := e.store.Events(t.Context(), "default", 0, 1000)
	require.NoError(t, err)
	var types []leadcall.EventType
	for _, ev := range evs {
		if ev.Type == leadcall.EventBackfillProgress || ev.Type == leadcall.EventBackfillDone {
			types = append(types, ev.Type)
			require.Contains(t, string(ev.Data), real.ID)
		}
	}
	require.Equal(t, []leadcall.EventType{leadcall.EventBackfillProgress, leadcall.EventBackfillDone}, types)
}

func TestBackfillRouteErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.pairedDevice("campaign")
	ok := `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true}`
	r := e.do("POST", "/v1/backfill", "", ok)
	require.Equal(t, http.StatusUnauthorized, r.status)

	manyDevices := `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"device_ids":[` +
		strings.TrimSuffix(strings.Repeat(`"d",`, 101), ",") + `]}`
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"empty", "", http.StatusBadRequest, ""},
		{"malformed", `{"from":`, http.StatusBadRequest, ""},
		{"not an object", `[1,2]`, http.StatusBadRequest, ""},
		{"trailing data", ok + `{}`, http.StatusBadRequest, ""},
		{"unknown field", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"force":1}`, http.StatusBadRequest, "force"},
		{"no dry_run", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z"}`, http.StatusBadRequest, "dry_run"},
		{"no from", `{"to":"2026-11-02T00:00:00Z","dry_run":true}`, http.StatusBadRequest, "from"},
		{"no to", `{"from":"2026-11-02T00:00:00Z","dry_run":true}`, http.StatusBadRequest, "to"},
		{"bad time", `{"from":"yesterday","to":"2026-11-02T00:00:00Z","dry_run":true}`, http.StatusBadRequest, ""},
		{"wrong type", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":"yes"}`, http.StatusBadRequest, "dry_run"},
		{"reversed", `{"from":"2026-11-02T00:00:00Z","to":"2026-11-01T00:00:00Z","dry_run":true}`, http.StatusBadRequest, "to"},
		{"NUL in device", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"device_ids":["a\u0000b"]}`, http.StatusBadRequest, "device_ids[0]"},
		{"invalid UTF-8", "{\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"2026-11-02T00:00:00Z\",\"dry_run\":true,\"device_ids\":[\"\xff\"]}", http.StatusBadRequest, ""},
		{"too many devices", manyDevices, http.StatusBadRequest, "device_ids"},
		{"hostile device", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"device_ids":["x'; DROP TABLE calls;--"]}`, http.StatusUnprocessableEntity, "device_ids"},
		{"unknown device", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"device_ids":["nope"]}`, http.StatusNotFound, ""},
		{"range too long", `{"from":"2020-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true}`, http.StatusUnprocessableEntity, "from"},
		{"oversized", `{"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","dry_run":true,"device_ids":["` + strings.Repeat("d", 1<<20) + `"]}`, http.StatusRequestEntityTooLarge, ""},
	}
	for _, tc := range tests {
		r := e.do("POST", "/v1/backfill", adminToken, tc.body)
		require.Equal(t, tc.status, r.status, "%s: %s", tc.name, r.body)
		d := r.err(t)
		require.Equal(t, tc.field, d.Field, tc.name)
	}
	// No body at all, and a body that is not JSON.
	r = e.do("POST", "/v1/backfill", adminToken, nil)
	require.Equal(t, http.StatusBadRequest, r.status, "no body: %s", r.body)
	req := httptest.NewRequestWithContext(t.Context(), "POST", "/v1/backfill", strings.NewReader(ok))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "text/plain")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	require.Equal(t, http.StatusUnsupportedMediaType, rec.Code, "%s", rec.Body)
}
