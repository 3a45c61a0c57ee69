package zoho

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// insertOK is an insert response body with one created record.
func insertOK(id string) string {
	return fmt.Sprintf(`{"data":[{"code":"SUCCESS","details":{"id":%q,"Created_Time":"2025-03-01T10:00:00+05:30"},"message":"record added","status":"success"}]}`, id)
}

func testBundle(start time.Time) *crm.Bundle {
	return &crm.Bundle{
		Lead: &crm.Lead{SyncKey: "lc1L_lead", LastName: "Inbound Lead", Phone: "+919876543210"},
		Call: &crm.Call{SyncKey: "lc1C_call", Subject: "Missed inbound call", Type: crm.CallMissed, Start: start,
			Who: crm.Ref{Module: crm.ModuleContacts, ID: "ignored"}},
		Task: &crm.Task{SyncKey: "lc1T_task", Subject: "Call back +919876543210", Due: start},
	}
}

const bundleBody = `{"rollback_on_fail":false,"parallel_execution":false,"concurrent_execution":false,"__composite_requests":[
	{"sub_request_id":"lead","method":"POST","uri":"/crm/v8/Leads","params":{},"headers":{},"body":{"data":[
		{"Last_Name":"Inbound Lead","Phone":"+919876543210","LC_Sync_Key":"lc1L_lead"}]}},
	{"sub_request_id":"call","method":"POST","uri":"/crm/v8/Calls","params":{},"headers":{},"body":{"data":[
		{"Subject":"Missed inbound call","Call_Type":"Missed","Call_Start_Time":"2025-03-01T10:00:00+05:30",
		 "What_Id":{"id":"@{lead:$.data[0].details.id}"},"$se_module":"Leads","LC_Sync_Key":"lc1C_call"}]}},
	{"sub_request_id":"task","method":"POST","uri":"/crm/v8/Tasks","params":{},"headers":{},"body":{"data":[
		{"Subject":"Call back +919876543210","Due_Date":"2025-03-01","Status":"Not Started","Priority":"High",
		 "What_Id":{"id":"@{lead:$.data[0].details.id}"},"$se_module":"Leads","LC_Sync_Key":"lc1T_task"}]}}]}`

var bundleStart = time.Date(2025, 3, 1, 10, 0, 0, 0, kolkata)

func TestCreateBundleOneRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, bundleBody)
		reply(w, 200, compositeReply(subOK(201, insertOK("100")), subOK(201, insertOK("200")), subOK(201, insertOK("300"))))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	require.Equal(t, &crm.BundleResult{
		Lead: crm.PartResult{Created: &crm.Created{ID: "100"}},
		Call: crm.PartResult{Created: &crm.Created{ID: "200"}},
		Task: crm.PartResult{Created: &crm.Created{ID: "300"}},
	}, res)
	require.EqualValues(t, 1, f.apiHits.Load())
	require.EqualValues(t, 1, f.crm.Credits())
	// The created keys are known: reconciling them costs nothing.
	for m, k := range map[crm.Module]string{crm.ModuleLeads: "lc1L_lead", crm.ModuleCalls: "lc1C_call", crm.ModuleTasks: "lc1T_task"} {
		id, err := f.crm.FindBySyncKey(t.Context(), m, k)
		require.NoError(t, err)
		require.NotEmpty(t, id)
	}
	require.EqualValues(t, 1, f.apiHits.Load())
}

func TestCreateBundleDocumentedSuccessSample(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		// The sample answers one sub-request; a bundle of a Lead and its Call has two.
		var one struct {
			Requests []json.RawMessage `json:"__composite_requests"`
		}
		require.NoError(t, json.Unmarshal([]byte(testdata(t, "composite_success.json")), &one))
		reply(w, 200, compositeReply(string(one.Requests[0]), string(one.Requests[0])))
	})
	b := testBundle(bundleStart)
	b.Task = nil
	res, err := f.crm.CreateBundle(t.Context(), b)
	require.NoError(t, err)
	require.Equal(t, "2284048000005238359", res.Lead.Created.ID)
	require.Equal(t, "2284048000005238359", res.Call.Created.ID)
	require.Nil(t, res.Task.Created)
	require.NoError(t, res.Task.Err)
}

func TestCreateBundleLeadFails(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 207, compositeReply(subOK(400, testdata(t, "insert_invalid_data.json")),
			subFailed("INVALID_REFERENCE"), subFailed("PROCESSING_STOPPED")))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	le := requireCode(t, res.Lead.Err, leadcall.CodeInvalid)
	require.Equal(t, "Phone", le.Field)
	for _, p := range []crm.PartResult{res.Call, res.Task} {
		require.Nil(t, p.Created)
		require.ErrorIs(t, p.Err, crm.ErrNotAttempted)
		requireCode(t, p.Err, leadcall.CodeInvalid)
	}
	require.EqualValues(t, 1, f.apiHits.Load())
}

func TestCreateBundleLeadConflictStopsTheRest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 207, compositeReply(subOK(400, testdata(t, "insert_duplicate_sync_key.json")),
			subFailed("INVALID_REFERENCE"), subFailed("INVALID_REFERENCE")))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	le := requireCode(t, res.Lead.Err, leadcall.CodeConflict)
	require.Equal(t, "2008662000006256222", le.ExistingID, "the Engine adopts it and goes on with single creates")
	require.ErrorIs(t, res.Call.Err, crm.ErrNotAttempted)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
	require.EqualValues(t, 1, f.apiHits.Load())
}

func TestCreateBundleResultsStayTrue(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// The Lead failed, yet Zoho reports the Call written (it runs sub-requests independently).
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 207, compositeReply(subOK(400, testdata(t, "insert_invalid_data.json")),
			subOK(201, insertOK("200")), subOK(500, testdata(t, "error_internal.json"))))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	requireCode(t, res.Lead.Err, leadcall.CodeInvalid)
	require.Equal(t, "200", res.Call.Created.ID, "a part Zoho wrote is reported as written")
	requireCode(t, res.Task.Err, leadcall.CodeUnavailable)
	require.NotErrorIs(t, res.Task.Err, crm.ErrNotAttempted, "a part that may have been written is not 'not attempted'")
}

func TestCreateBundleCallFailsAlone(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 207, compositeReply(subOK(201, insertOK("100")),
			subOK(400, testdata(t, "insert_dependent_mismatch.json")), subOK(201, insertOK("300"))))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	require.Equal(t, "100", res.Lead.Created.ID)
	le := requireCode(t, res.Call.Err, leadcall.CodeInvalid)
	require.Equal(t, "Call_Duration", le.Field)
	require.Equal(t, "300", res.Task.Created.ID)
}

func TestCreateBundleCompositeRefusedFallsBackToPlain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var composites atomic.Int64
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		composites.Add(1)
		reply(w, 401, testdata(t, "error_scope_mismatch.json"))
	})
	var mu sync.Mutex
	var order []string
	for _, m := range []string{"Leads", "Calls", "Tasks"} {
		f.handle("POST /crm/v8/"+m, func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			if m != "Leads" {
				require.Contains(t, string(b), `"What_Id":{"id":"lead-1"}`)
				require.NotContains(t, string(b), "@{")
			}
			mu.Lock()
			order = append(order, m)
			mu.Unlock()
			reply(w, 201, insertOK(strings.ToLower(m[:len(m)-1])+"-1"))
		})
	}
	for range 2 {
		res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
		require.NoError(t, err)
		require.Equal(t, "lead-1", res.Lead.Created.ID)
		require.Equal(t, "call-1", res.Call.Created.ID)
		require.Equal(t, "task-1", res.Task.Created.ID)
	}
	require.EqualValues(t, 1, composites.Load(), "not tried again during the cooldown")
	require.Equal(t, []string{"Leads", "Calls", "Tasks", "Leads", "Calls", "Tasks"}, order)
}

func TestCreateBundleWholeRequestFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		code   leadcall.Code
	}{
		{"server error: may have run", 500, testdata(t, "error_internal.json"), leadcall.CodeUnavailable},
		{"rate limited", 429, testdata(t, "error_too_many_requests.json"), leadcall.CodeRateLimited},
		{"garbled 200", 200, `{"__composite_requests":[`, leadcall.CodeUnavailable},
		{"results missing for sub-requests that ran", 207, compositeReply(subOK(201, insertOK("1"))), leadcall.CodeUnavailable},
		{"entry that is not an object", 200, `{"__composite_requests":[1,2,3]}`, leadcall.CodeUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) { reply(w, tc.status, tc.body) })
			res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
			require.Nil(t, res)
			requireCode(t, err, tc.code)
			require.EqualValues(t, 1, f.apiHits.Load(), "no fallback when the bundle may have been written")
		})
	}
}

func TestCreateBundleWithoutLead(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		require.Equal(t, 2, strings.Count(string(body), `"Who_Id":{"id":"55"}`))
		require.NotContains(t, string(body), "@{")
		reply(w, 200, compositeReply(subOK(201, insertOK("200")), subOK(201, insertOK("300"))))
	})
	b := testBundle(bundleStart)
	b.Lead = nil
	b.Call.Who = crm.Ref{Module: crm.ModuleContacts, ID: "55"}
	b.Task.Who = b.Call.Who
	res, err := f.crm.CreateBundle(t.Context(), b)
	require.NoError(t, err)
	require.Nil(t, res.Lead.Created)
	require.NoError(t, res.Lead.Err)
	require.Equal(t, "200", res.Call.Created.ID)
	require.Equal(t, "300", res.Task.Created.ID)
}

func TestCreateBundleInvalidParts(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, err := f.crm.CreateBundle(t.Context(), nil)
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = f.crm.CreateBundle(t.Context(), &crm.Bundle{Lead: testLead()})
	requireCode(t, err, leadcall.CodeInvalid)

	b := testBundle(bundleStart)
	b.Lead.LastName = ""
	res, err := f.crm.CreateBundle(t.Context(), b)
	require.NoError(t, err)
	requireCode(t, res.Lead.Err, leadcall.CodeInvalid)
	require.ErrorIs(t, res.Call.Err, crm.ErrNotAttempted)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
	require.EqualValues(t, 0, f.apiHits.Load())

	// An invalid Call is refused before sending; the Lead before it still goes (one plain
	// request), and the Task after it is not attempted.
	f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) { reply(w, 201, insertOK("100")) })
	b = testBundle(bundleStart)
	b.Call.Subject = ""
	res, err = f.crm.CreateBundle(t.Context(), b)
	require.NoError(t, err)
	require.Equal(t, "100", res.Lead.Created.ID)
	le := requireCode(t, res.Call.Err, leadcall.CodeInvalid)
	require.Equal(t, "Subject", le.Field)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
	require.EqualValues(t, 1, f.apiHits.Load())
}

func TestCreateBundleSyncKeyRefusedOnLeads(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var bodiesMu sync.Mutex
	var bodies []string
	nBodies := func() int { bodiesMu.Lock(); defer bodiesMu.Unlock(); return len(bodies) }
	refused := `{"data":[{"code":"INVALID_DATA","details":{"api_name":"LC_Sync_Key","json_path":"$.data[0].LC_Sync_Key"},"message":"the field api name given seems to be invalid","status":"error"}]}`
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		bodiesMu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		bodiesMu.Unlock()
		if n == 1 {
			reply(w, 207, compositeReply(subOK(400, refused), subFailed("INVALID_REFERENCE"), subFailed("INVALID_REFERENCE")))
			return
		}
		reply(w, 200, compositeReply(subOK(201, insertOK("100")), subOK(201, insertOK("200")), subOK(201, insertOK("300"))))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	require.Equal(t, "100", res.Lead.Created.ID)
	require.Equal(t, "200", res.Call.Created.ID)
	require.Equal(t, 2, nBodies())
	require.NotContains(t, bodies[1], "lc1L_lead", "the Lead goes without its key")
	require.Contains(t, bodies[1], "lc1C_call", "other modules keep theirs")
}

func TestDecodeCompositeSamples(t *testing.T) {
	t.Parallel()
	entries, err := decodeComposite([]byte(testdata(t, "composite_partial_207.json")))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	require.NotNil(t, entries[0].response)
	require.Equal(t, 200, entries[0].response.StatusCode)
	require.Nil(t, entries[1].response)
	require.Equal(t, "INVALID_DATA", entries[1].Code)
	require.Equal(t, "sub_request_2", entries[1].Details["api_name"])

	entries, err = decodeComposite([]byte(testdata(t, "composite_400.json")))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Nil(t, entries[0].response)

	for _, bad := range []string{``, `[]`, `{"data":[]}`, `<html>`, `{"__composite_requests":"x"}`} {
		_, err := decodeComposite([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestCreateBundleConflictLiftedToTheWrapper(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// A failed sub-request may come back as a wrapper-level error carrying the wrapped API's
	// code and details (unconfirmed; the fake Zoho does this).
	lifted := `{"code":"DUPLICATE_DATA","details":{"api_name":"LC_Sync_Key","json_path":"$.data[0].LC_Sync_Key",` +
		`"duplicate_record":{"id":"4242","Owner":{"id":"1"}},"id":"4242"},"message":"duplicate data","status":"error"}`
	f.handle("POST /crm/v8/__composite_requests", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 207, compositeReply(lifted, subFailed("INVALID_REFERENCE"), subFailed("INVALID_REFERENCE")))
	})
	res, err := f.crm.CreateBundle(t.Context(), testBundle(bundleStart))
	require.NoError(t, err)
	le := requireCode(t, res.Lead.Err, leadcall.CodeConflict)
	require.Equal(t, "4242", le.ExistingID)
	require.ErrorIs(t, res.Call.Err, crm.ErrNotAttempted)
	require.ErrorIs(t, res.Task.Err, crm.ErrNotAttempted)
}
