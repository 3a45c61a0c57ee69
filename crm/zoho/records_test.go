package zoho

import (
	"context"
	"errors"
	"io"
	"net"
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

var kolkata = mustLoad("Asia/Kolkata")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// created answers an insert with the documented success sample.
func created(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { reply(w, 201, testdata(t, "insert_success.json")) }
}

const sampleID = "5725767000000524157" // the id in insert_success.json

func testLead() *crm.Lead {
	return &crm.Lead{
		SyncKey:     crm.LeadKey("org1", "+919876543210"),
		LastName:    "Inbound Lead",
		Phone:       "+919876543210",
		Fields:      map[string]string{"Company": "Zylker", "Campaign_Code": "SUMMER"},
		Description: "First call on \"Front desk\"",
		OwnerID:     "5725767000000411001",
	}
}

func TestCreateLeadRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		trigger []string
		want    string
	}{
		{"trigger omitted: Zoho's default automation", nil, ``},
		{"no automation", []string{}, `,"trigger":[]`},
		{"workflow only", []string{"workflow"}, `,"trigger":["workflow"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(c *Config) { c.Trigger = tc.trigger })
			f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
				reply(w, 200, testdata(t, "fields_leads.json"))
			})
			f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
				testHeader(t, r, "Content-Type", "application/json")
				testHeader(t, r, "Authorization", "Zoho-oauthtoken tok-1")
				testJSONBody(t, r, `{"data":[{
					"Last_Name":"Inbound Lead","Phone":"+919876543210","Lead_Source":"Advertisement",
					"Company":"Zylker","Campaign_Code":"SUMMER",
					"Description":"First call on \"Front desk\"",
					"Owner":{"id":"5725767000000411001"},
					"LC_Sync_Key":"`+crm.LeadKey("org1", "+919876543210")+`"}]`+tc.want+`}`)
				reply(w, 201, testdata(t, "insert_success.json"))
			})
			lead := testLead()
			lead.LeadSource = "Advertisement"
			got, err := f.crm.CreateLead(t.Context(), lead)
			require.NoError(t, err)
			require.Equal(t, &crm.Created{ID: sampleID}, got)
			require.EqualValues(t, 2, f.crm.Stats().Requests, "the picklist check, then the insert")
		})
	}
}

func TestCreateLeadTypedFieldsFromMetadata(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("GET /crm/v8/settings/fields", func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Leads", r.URL.Query().Get("module"))
		reply(w, 200, `{"fields":[{"api_name":"Visits_Count","data_type":"integer"},{"api_name":"Budget","data_type":"currency"},{"api_name":"Hot","data_type":"boolean"}]}`)
	})
	_, err := f.crm.Fields(t.Context(), crm.ModuleLeads)
	require.NoError(t, err)
	f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"data":[{"Last_Name":"L","Visits_Count":12,"Budget":1500.50,"Hot":true,"Company":"7"}]}`)
		reply(w, 201, testdata(t, "insert_success.json"))
	})
	_, err = f.crm.CreateLead(t.Context(), &crm.Lead{LastName: "L",
		Fields: map[string]string{"Visits_Count": "12", "Budget": "1500.50", "Hot": "true", "Company": "7"}})
	require.NoError(t, err)
}

func TestCreateCallRequest(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 1, 4, 30, 0, 0, time.UTC) // 10:00 in Kolkata
	cases := []struct {
		name string
		loc  *time.Location
		call crm.Call
		want string
	}{
		{
			name: "inbound to a Lead",
			call: crm.Call{SyncKey: "lc1C_k", Subject: "Inbound call", Type: crm.CallInbound, Start: start.In(kolkata),
				Duration: 125 * time.Second, Who: crm.Ref{Module: crm.ModuleLeads, ID: "111"}, Result: "Answered",
				Description: "d", OwnerID: "222"},
			want: `{"Subject":"Inbound call","Call_Type":"Inbound","Call_Start_Time":"2025-03-01T10:00:00+05:30",
				"Call_Duration":"02:05","What_Id":{"id":"111"},"$se_module":"Leads","Call_Result":"Answered",
				"Owner":{"id":"222"},"Description":"d","LC_Sync_Key":"lc1C_k"}`,
		},
		{
			name: "missed to a Contact: no duration, Who_Id",
			call: crm.Call{Subject: "Missed inbound call", Type: crm.CallMissed, Start: start.In(kolkata),
				Who: crm.Ref{Module: crm.ModuleContacts, ID: "333"}},
			want: `{"Subject":"Missed inbound call","Call_Type":"Missed","Call_Start_Time":"2025-03-01T10:00:00+05:30",
				"Who_Id":{"id":"333"}}`,
		},
		{
			name: "sub-second inbound is never 00:00",
			call: crm.Call{Subject: "s", Type: crm.CallInbound, Start: start, Duration: 300 * time.Millisecond,
				Who: crm.Ref{Module: crm.ModuleLeads, ID: "1"}},
			want: `{"Subject":"s","Call_Type":"Inbound","Call_Start_Time":"2025-03-01T04:30:00+00:00",
				"Call_Duration":"00:01","What_Id":{"id":"1"},"$se_module":"Leads"}`,
		},
		{
			name: "zero-length inbound is never 00:00",
			call: crm.Call{Subject: "s", Type: crm.CallInbound, Start: start, Who: crm.Ref{Module: crm.ModuleLeads, ID: "1"}},
			want: `{"Subject":"s","Call_Type":"Inbound","Call_Start_Time":"2025-03-01T04:30:00+00:00",
				"Call_Duration":"00:01","What_Id":{"id":"1"},"$se_module":"Leads"}`,
		},
		{
			name: "minutes pass 59",
			call: crm.Call{Subject: "s", Type: crm.CallOutbound, Start: start, Duration: 75*time.Minute + 9*time.Second,
				Who: crm.Ref{Module: crm.ModuleContacts, ID: "1"}},
			want: `{"Subject":"s","Call_Type":"Outbound","Call_Start_Time":"2025-03-01T04:30:00+00:00",
				"Call_Duration":"75:09","Who_Id":{"id":"1"}}`,
		},
		{
			name: "org zone from Config.Location",
			loc:  mustLoad("America/New_York"),
			call: crm.Call{Subject: "s", Type: crm.CallMissed, Start: start, Who: crm.Ref{Module: crm.ModuleContacts, ID: "1"}},
			want: `{"Subject":"s","Call_Type":"Missed","Call_Start_Time":"2025-02-28T23:30:00-05:00","Who_Id":{"id":"1"}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, func(c *Config) { c.Location = tc.loc })
			f.handle("POST /crm/v8/Calls", func(w http.ResponseWriter, r *http.Request) {
				testJSONBody(t, r, `{"data":[`+tc.want+`]}`)
				reply(w, 201, testdata(t, "insert_success.json"))
			})
			got, err := f.crm.CreateCall(t.Context(), &tc.call)
			require.NoError(t, err)
			require.Equal(t, sampleID, got.ID)
		})
	}
}

func TestCreateTaskRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/Tasks", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"data":[{"Subject":"Call back +919876543210","Due_Date":"2025-03-02",
			"Status":"Not Started","Priority":"High","What_Id":{"id":"111"},"$se_module":"Leads",
			"Owner":{"id":"222"},"Description":"Missed call","LC_Sync_Key":"lc1T_k"}]}`)
		reply(w, 201, testdata(t, "insert_success.json"))
	})
	// 20:00 UTC on 1 March is 01:30 on 2 March in Kolkata: the date is the org's.
	due := time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC).In(kolkata)
	got, err := f.crm.CreateTask(t.Context(), &crm.Task{SyncKey: "lc1T_k", Subject: "Call back +919876543210", Due: due,
		Who: crm.Ref{Module: crm.ModuleLeads, ID: "111"}, Description: "Missed call", OwnerID: "222"})
	require.NoError(t, err)
	require.Equal(t, sampleID, got.ID)
}

func TestCreateRefusesBadInputWithoutRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	now := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	lead := func(mod func(*crm.Lead)) func(context.Context) error {
		return func(ctx context.Context) error {
			l := testLead()
			mod(l)
			_, err := f.crm.CreateLead(ctx, l)
			return err
		}
	}
	call := func(mod func(*crm.Call)) func(context.Context) error {
		return func(ctx context.Context) error {
			c := crm.Call{Subject: "s", Type: crm.CallInbound, Start: now, Duration: time.Second, Who: crm.Ref{Module: crm.ModuleLeads, ID: "1"}}
			mod(&c)
			_, err := f.crm.CreateCall(ctx, &c)
			return err
		}
	}
	task := func(mod func(*crm.Task)) func(context.Context) error {
		return func(ctx context.Context) error {
			tk := crm.Task{Subject: "s", Due: now, Who: crm.Ref{Module: crm.ModuleContacts, ID: "1"}}
			mod(&tk)
			_, err := f.crm.CreateTask(ctx, &tk)
			return err
		}
	}
	huge := strings.Repeat("x", maxTextLen+1)
	cases := []struct {
		name  string
		do    func(context.Context) error
		field string
	}{
		{"nil lead", func(ctx context.Context) error { _, err := f.crm.CreateLead(ctx, nil); return err }, ""},
		{"nil call", func(ctx context.Context) error { _, err := f.crm.CreateCall(ctx, nil); return err }, ""},
		{"nil task", func(ctx context.Context) error { _, err := f.crm.CreateTask(ctx, nil); return err }, ""},
		{"blank last name", lead(func(l *crm.Lead) { l.LastName = "  " }), "Last_Name"},
		{"reserved field", lead(func(l *crm.Lead) { l.Fields = map[string]string{"LC_Sync_Key": "x"} }), "LC_Sync_Key"},
		{"reserved owner", lead(func(l *crm.Lead) { l.Fields = map[string]string{"Owner": "x"} }), "Owner"},
		{"field name with a quote", lead(func(l *crm.Lead) { l.Fields = map[string]string{`Co"mpany`: "x"} }), "Fields"},
		{"field name with a $", lead(func(l *crm.Lead) { l.Fields = map[string]string{"$se_module": "x"} }), "Fields"},
		{"too many fields", lead(func(l *crm.Lead) {
			l.Fields = map[string]string{}
			for i := range maxLeadFields + 1 {
				l.Fields["F"+strings.Repeat("a", i%50)+string(rune('a'+i%26))+strings.Repeat("b", i/26)] = "v"
			}
		}), "Fields"},
		{"huge description", lead(func(l *crm.Lead) { l.Description = huge }), "Description"},
		{"huge field value", lead(func(l *crm.Lead) { l.Fields = map[string]string{"Company": huge} }), "Company"},
		{"owner with a slash", lead(func(l *crm.Lead) { l.OwnerID = "1/2" }), "Owner"},
		{"sync key with a quote", lead(func(l *crm.Lead) { l.SyncKey = "a'b" }), "LC_Sync_Key"},
		{"call without subject", call(func(c *crm.Call) { c.Subject = "" }), "Subject"},
		{"call type", call(func(c *crm.Call) { c.Type = "Voicemail" }), "Call_Type"},
		{"call start", call(func(c *crm.Call) { c.Start = time.Time{} }), "Call_Start_Time"},
		{"negative duration", call(func(c *crm.Call) { c.Duration = -time.Second }), "Call_Duration"},
		{"missed with duration", call(func(c *crm.Call) { c.Type = crm.CallMissed }), "Call_Duration"},
		{"no who", call(func(c *crm.Call) { c.Who = crm.Ref{} }), "Who"},
		{"who in Accounts", call(func(c *crm.Call) { c.Who.Module = "Accounts" }), "Who"},
		{"who id injection", call(func(c *crm.Call) { c.Who.ID = `1"},"Owner":{"id":"2` }), "Who"},
		{"task without due", task(func(tk *crm.Task) { tk.Due = time.Time{} }), "Due_Date"},
		{"task without subject", task(func(tk *crm.Task) { tk.Subject = " " }), "Subject"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(t.Context())
			le := requireCode(t, err, leadcall.CodeInvalid)
			require.Equal(t, tc.field, le.Field)
		})
	}
	require.EqualValues(t, 0, f.tokenHits.Load()+f.apiHits.Load(), "refused before any request")
}

func TestCreateResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		body     string
		header   map[string]string
		code     leadcall.Code
		zohoCode string
		field    string
		sentinel error
	}{
		{name: "duplicate sync key", status: 400, body: testdata(t, "insert_duplicate_sync_key.json"), code: leadcall.CodeConflict, zohoCode: "DUPLICATE_DATA", field: "LC_Sync_Key"},
		{name: "duplicate on another unique field", status: 400, body: testdata(t, "insert_duplicate.json"), code: leadcall.CodeInvalid, zohoCode: "DUPLICATE_DATA", field: "Unique_1"},
		{name: "invalid phone", status: 400, body: testdata(t, "insert_invalid_data.json"), code: leadcall.CodeInvalid, zohoCode: "INVALID_DATA", field: "Phone"},
		{name: "zero duration", status: 400, body: testdata(t, "insert_dependent_mismatch.json"), code: leadcall.CodeInvalid, zohoCode: "DEPENDENT_MISMATCH", field: "Call_Duration"},
		{name: "error item in a 2xx", status: 202, body: `{"data":[{"code":"MANDATORY_NOT_FOUND","details":{"api_name":"Last_Name"},"message":"required field not found","status":"error"}]}`, code: leadcall.CodeInvalid, zohoCode: "MANDATORY_NOT_FOUND"},
		{name: "no permission", status: 403, body: testdata(t, "error_no_permission.json"), code: leadcall.CodeUnauthorized, zohoCode: "NO_PERMISSION"},
		{name: "scope mismatch", status: 401, body: testdata(t, "error_scope_mismatch.json"), code: leadcall.CodeReconnectRequired, zohoCode: "OAUTH_SCOPE_MISMATCH"},
		{name: "invalid module", status: 400, body: `{"code":"INVALID_MODULE","details":{},"message":"the module name given seems to be invalid","status":"error"}`, code: leadcall.CodeInvalid, zohoCode: "INVALID_MODULE"},
		{name: "internal error", status: 500, body: testdata(t, "error_internal.json"), code: leadcall.CodeUnavailable, zohoCode: "INTERNAL_ERROR"},
		{name: "gateway html", status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", code: leadcall.CodeUnavailable},
		{name: "html 400", status: 400, body: "<html>bad</html>", code: leadcall.CodeInvalid},
		{name: "html 200 after a write", status: 201, body: "<html>ok?</html>", code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "invalid json 201", status: 201, body: `{"data":[{"code":"SUCCESS"`, code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "empty 201", status: 201, body: ``, code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "success without id", status: 201, body: `{"data":[{"code":"SUCCESS","details":{},"message":"record added","status":"success"}]}`, code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "two results for one record", status: 207, body: testdata(t, "insert_mixed_207.json"), code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "data is not an array", status: 201, body: `{"data":{"id":"1"}}`, code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "missing data", status: 201, body: `{"info":{}}`, code: leadcall.CodeUnavailable, sentinel: ErrMalformedResponse},
		{name: "redirect", status: 302, body: ``, header: map[string]string{"Location": "/elsewhere"}, code: leadcall.CodeUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				reply(w, tc.status, tc.body)
			})
			_, err := f.crm.CreateLead(t.Context(), testLead())
			le := requireCode(t, err, tc.code)
			if tc.zohoCode != "" {
				ae := requireAPIError(t, err, tc.zohoCode, tc.status)
				require.NotEmpty(t, ae.Message)
			}
			if tc.field != "" {
				require.Equal(t, tc.field, le.Field)
			}
			if tc.sentinel != nil {
				require.ErrorIs(t, err, tc.sentinel)
			}
			if tc.code == leadcall.CodeConflict {
				require.Equal(t, "2008662000006256222", le.ExistingID)
			}
			noSecrets(t, err.Error())
			require.NotContains(t, err.Error(), "9876543210", "no phone numbers in errors")
			require.EqualValues(t, 1, f.apiHits.Load(), "one request, no retry, no redirect")
		})
	}
}

func TestConflictWithoutIDLooksTheKeyUp(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 400, `{"data":[{"code":"DUPLICATE_DATA","details":{"api_name":"LC_Sync_Key","json_path":"$.data[0].LC_Sync_Key"},"message":"duplicate data","status":"error"}]}`)
	})
	key := testLead().SyncKey
	f.handle("POST /crm/v8/coql", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"select_query":"select id, LC_Sync_Key from Leads where LC_Sync_Key = '`+key+`' limit 2"}`)
		reply(w, 200, `{"data":[{"id":"777","LC_Sync_Key":"`+key+`"}],"info":{"count":1,"more_records":false}}`)
	})
	_, err := f.crm.CreateLead(t.Context(), testLead())
	le := requireCode(t, err, leadcall.CodeConflict)
	require.Equal(t, "777", le.ExistingID)
	// The pair is remembered: finding the key needs no request.
	hits := f.apiHits.Load()
	id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleLeads, key)
	require.NoError(t, err)
	require.Equal(t, "777", id)
	require.Equal(t, hits, f.apiHits.Load())
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		header string
		body   string
		want   time.Duration
		pause  bool // Zoho said when: the connection refuses locally until then
	}{
		{"retry-after seconds", 429, "7", testdata(t, "error_too_many_requests.json"), 7 * time.Second, true},
		{"retry-after date", 429, "Sat, 01 Mar 2025 10:02:00 GMT", testdata(t, "error_too_many_requests.json"), 2 * time.Minute, true},
		{"absurd retry-after", 429, "99999999999", "", 24 * time.Hour, true},
		{"no retry-after", 429, "", testdata(t, "error_too_many_requests.json"), DefaultRetryAfter, false},
		{"html 429", 429, "", "<html>slow down</html>", DefaultRetryAfter, false},
		{"TOO_MANY_REQUESTS with another status", 400, "", testdata(t, "error_too_many_requests.json"), DefaultRetryAfter, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			var limited atomic.Bool
			limited.Store(true)
			f.handle("POST /crm/v8/Calls", func(w http.ResponseWriter, r *http.Request) {
				if !limited.Load() {
					reply(w, 201, testdata(t, "insert_success.json"))
					return
				}
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				reply(w, tc.status, tc.body)
			})
			call := &crm.Call{Subject: "s", Type: crm.CallMissed, Start: f.now(), Who: crm.Ref{Module: crm.ModuleLeads, ID: "1"}}
			_, err := f.crm.CreateCall(t.Context(), call)
			le := requireCode(t, err, leadcall.CodeRateLimited)
			require.Equal(t, tc.want, le.RetryAfter)
			require.Equal(t, tc.want, leadcall.RetryAfterOf(err))
			require.ErrorIs(t, err, leadcall.ErrRateLimited)
			require.EqualValues(t, 1, f.apiHits.Load(), "not retried")

			limited.Store(false)
			f.advance(tc.want / 2)
			_, err = f.crm.CreateCall(t.Context(), call)
			if !tc.pause {
				require.NoError(t, err, "a guessed wait does not block the next request")
				return
			}
			le = requireCode(t, err, leadcall.CodeRateLimited)
			require.Equal(t, tc.want-tc.want/2, le.RetryAfter)
			require.EqualValues(t, 1, f.apiHits.Load(), "no request while Zoho's Retry-After lasts")
			f.advance(tc.want)
			_, err = f.crm.CreateCall(t.Context(), call)
			require.NoError(t, err)
		})
	}
}

func TestTransportFailuresAreUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		block := make(chan struct{})
		f := setup(t, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond} })
		t.Cleanup(func() { close(block) })
		f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		})
		_, err := f.crm.CreateLead(t.Context(), testLead())
		requireCode(t, err, leadcall.CodeUnavailable)
		var ne net.Error
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "timeout reachable: %v", err)
		require.NotContains(t, err.Error(), "127.0.0.1", "no URLs in errors")
	})
	t.Run("connection reset after the write", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			require.NoError(t, err)
			conn.Close()
		})
		_, err := f.crm.CreateLead(t.Context(), testLead())
		requireCode(t, err, leadcall.CodeUnavailable)
	})
	t.Run("context cancelled", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		started := make(chan struct{})
		f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
			close(started)
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(t.Context())
		go func() { <-started; cancel() }()
		_, err := f.crm.CreateLead(ctx, testLead())
		requireCode(t, err, leadcall.CodeUnavailable)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("context already done", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := f.crm.CreateLead(ctx, testLead())
		require.ErrorIs(t, err, context.Canceled)
		require.EqualValues(t, 0, f.tokenHits.Load()+f.apiHits.Load())
	})
}

func TestHugeResponseIsCapped(t *testing.T) {
	t.Parallel()
	var written atomic.Int64
	f := setup(t, func(c *Config) { c.MaxResponseBytes = 1 << 16 })
	f.handle("POST /crm/v8/Leads", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		chunk := []byte(`{"data":[` + strings.Repeat(" ", 1<<14))
		for range 1 << 10 { // 16 MiB unless the client stops reading
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	_, err := f.crm.CreateLead(t.Context(), testLead())
	requireCode(t, err, leadcall.CodeUnavailable)
	require.ErrorIs(t, err, ErrResponseTooLarge)
	require.Contains(t, err.Error(), "65536")
}

func TestSyncKeyFieldRefusedWritesWithoutKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var bodiesMu sync.Mutex
	var bodies []string
	nBodies := func() int { bodiesMu.Lock(); defer bodiesMu.Unlock(); return len(bodies) }
	f.handle("POST /crm/v8/Calls", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		bodiesMu.Lock()
		bodies = append(bodies, string(b))
		bodiesMu.Unlock()
		if strings.Contains(string(b), "LC_Sync_Key") {
			reply(w, 400, `{"data":[{"code":"INVALID_DATA","details":{"api_name":"LC_Sync_Key","json_path":"$.data[0].LC_Sync_Key"},"message":"the field api name given seems to be invalid","status":"error"}]}`)
			return
		}
		reply(w, 201, testdata(t, "insert_success.json"))
	})
	call := &crm.Call{SyncKey: "lc1C_k", Subject: "s", Type: crm.CallMissed, Start: f.now(), Who: crm.Ref{Module: crm.ModuleLeads, ID: "1"}}
	got, err := f.crm.CreateCall(t.Context(), call)
	require.NoError(t, err)
	require.Equal(t, sampleID, got.ID)
	require.Equal(t, 2, nBodies())
	require.Contains(t, bodies[0], "LC_Sync_Key")
	require.NotContains(t, bodies[1], "LC_Sync_Key")
	// The module is known to lack the field now: one request, and no key lookups.
	_, err = f.crm.CreateCall(t.Context(), call)
	require.NoError(t, err)
	require.Equal(t, 3, nBodies())
	id, err := f.crm.FindBySyncKey(t.Context(), crm.ModuleCalls, "lc1C_other")
	require.NoError(t, err)
	require.Empty(t, id)
	require.Equal(t, 3, nBodies())
	// After the recheck interval the field is tried again (an operator may have created it).
	f.advance(syncKeyRecheck)
	_, err = f.crm.CreateCall(t.Context(), call)
	require.NoError(t, err)
	require.Equal(t, 5, nBodies())
}

func TestCompleteTask(t *testing.T) {
	t.Parallel()
	t.Run("appends the note and completes", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("GET /crm/v8/Tasks/5725767000000524157", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, `{"data":[{"id":"5725767000000524157","Subject":"Call back","Status":"Not Started","Description":"Missed call"}]}`)
		})
		f.handle("PUT /crm/v8/Tasks/5725767000000524157", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `{"data":[{"Status":"Completed","Description":"Missed call\n\nCalled back by Asha"}]}`)
			reply(w, 200, `{"data":[{"code":"SUCCESS","details":{"id":"5725767000000524157"},"message":"record updated","status":"success"}]}`)
		})
		require.NoError(t, f.crm.CompleteTask(t.Context(), "5725767000000524157", "Called back by Asha"))
		require.EqualValues(t, 2, f.apiHits.Load())
	})
	t.Run("already completed: nothing written", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("GET /crm/v8/Tasks/1", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, `{"data":[{"id":"1","Status":"Completed","Description":"x\n\nnote"}]}`)
		})
		require.NoError(t, f.crm.CompleteTask(t.Context(), "1", "note"))
		require.EqualValues(t, 1, f.apiHits.Load())
	})
	t.Run("gone", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("GET /crm/v8/Tasks/1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		requireCode(t, f.crm.CompleteTask(t.Context(), "1", "n"), leadcall.CodeNotFound)
	})
	t.Run("deleted between read and write", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("GET /crm/v8/Tasks/1", func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, `{"data":[{"id":"1","Status":"Not Started"}]}`)
		})
		f.handle("PUT /crm/v8/Tasks/1", func(w http.ResponseWriter, r *http.Request) {
			testJSONBody(t, r, `{"data":[{"Status":"Completed"}]}`)
			reply(w, 400, `{"data":[{"code":"INVALID_DATA","details":{"api_name":"id"},"message":"the id given seems to be invalid","status":"error"}]}`)
		})
		requireCode(t, f.crm.CompleteTask(t.Context(), "1", ""), leadcall.CodeNotFound)
	})
	t.Run("not an id", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		requireCode(t, f.crm.CompleteTask(t.Context(), "../Leads/1", "n"), leadcall.CodeNotFound)
		requireCode(t, f.crm.CompleteTask(t.Context(), "", "n"), leadcall.CodeNotFound)
		require.EqualValues(t, 0, f.apiHits.Load())
	})
	t.Run("garbled task", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		f.handle("GET /crm/v8/Tasks/1", func(w http.ResponseWriter, r *http.Request) { reply(w, 200, `{"data":"nope"}`) })
		err := f.crm.CompleteTask(t.Context(), "1", "n")
		require.ErrorIs(t, err, ErrMalformedResponse)
	})
}
