package zoho

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/phone"
)

// seedTestdata adds every testdata/*.json file to a fuzz corpus, plus hostile shapes.
func seedTestdata(f *testing.F, add func(body []byte)) {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no testdata: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `"x"`, `<html><body>502</body></html>`, `{"data":null}`, `{"data":[null]}`,
		`{"data":[{"details":[]}]}`, `{"data":[{"details":{"id":12345678901234567890}}]}`, `{"data":[{"code":7}]}`,
		`{"data":[{"id":{"id":{"id":"1"}}}]}`, `{"data":[{"id":"1","Owner":"2","Phone":["x"]}]}`,
		`{"__composite_requests":[{"details":{"response":{"status_code":"x"}}}]}`,
		`{"__composite_requests":[{"details":{"response":null}}]}`, `{"users":[{"id":1e400}]}`,
		`{"fields":[{"api_name":"A","unique":true,"length":"12"}]}`, `{"access_token":"a","expires_in":1e308}`,
		`{"expires_in":"abc","access_token":""}`, strings.Repeat(`{"data":[`, 1000),
	} {
		add([]byte(s))
	}
}

func FuzzDecodeRecordResponse(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 201) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		results, err := decodeRecordResponse(body, "data")
		if err != nil {
			return
		}
		c := &CRM{cfg: Config{Now: time.Now, Logger: discardLogger()}}
		for _, r := range results {
			// Interpreting a result must never panic either; only duplicates consult Zoho
			// again, and without a key they do not.
			_, _ = c.resultID(t.Context(), "fuzz", crm.ModuleLeads, status, r, "")
		}
	})
}

func FuzzDecodeSearch(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 200) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		rows, err := decodeRows(status, body)
		if err != nil {
			return
		}
		c := &CRM{cfg: Config{Now: time.Now, Logger: discardLogger()}}
		for _, m := range []crm.Module{crm.ModuleLeads, crm.ModuleContacts} {
			for _, r := range c.rowsToRecords(m, defaultPhoneFields[m], rows) {
				if r.ID == "" || !validID(r.ID) {
					t.Fatalf("record with a bad id %q", r.ID)
				}
			}
		}
	})
}

func FuzzDecodeTokenResponse(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 200) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		tr, err := decodeTokenResponse(status, body)
		if err != nil {
			return
		}
		if tr.AccessToken == "" {
			t.Fatal("success without an access token")
		}
		if tr.Lifetime <= 0 {
			t.Fatalf("lifetime %v", tr.Lifetime)
		}
	})
}

func FuzzDecodeComposite(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := decodeComposite(body)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.response != nil {
				_ = e.response.header()
			}
		}
	})
}

func FuzzDecodeFields(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 200) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		fs, err := decodeFields(status, body)
		if err != nil {
			return
		}
		for _, fd := range fs {
			if fd.APIName == "" || fd.MaxLength < 0 {
				t.Fatalf("bad field %+v", fd)
			}
		}
	})
}

func FuzzDecodeUsers(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 200) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		users, _, err := decodeUsers(status, body)
		if err != nil {
			return
		}
		for _, u := range users {
			if u.ID == "" {
				t.Fatal("user without an id")
			}
		}
	})
}

func FuzzEnvelope(f *testing.F) {
	seedTestdata(f, func(b []byte) { f.Add(b, 400) })
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		c := &CRM{cfg: Config{Now: time.Now, Logger: discardLogger()}}
		resp, err := c.interpret("fuzz", status, nil, body)
		if (resp == nil) == (err == nil) {
			t.Fatalf("interpret gave resp %v and err %v", resp, err)
		}
		_ = tokenRejected(body)
	})
}

// TestDocumentedSamplesDecode decodes every sample in testdata/ as the endpoint it comes from
// answers it, and checks what the adapter reads out of it.
func TestDocumentedSamplesDecode(t *testing.T) {
	t.Parallel()
	records := map[string]struct {
		code, status, id, apiName string
	}{
		"insert_success.json":            {"SUCCESS", "success", "5725767000000524157", ""},
		"insert_duplicate.json":          {"DUPLICATE_DATA", "error", "2008662000006256222", "Unique_1"},
		"insert_duplicate_sync_key.json": {"DUPLICATE_DATA", "error", "2008662000006256222", "LC_Sync_Key"},
		"insert_invalid_data.json":       {"INVALID_DATA", "error", "", "Phone"},
		"insert_dependent_mismatch.json": {"DEPENDENT_MISMATCH", "error", "", "Call_Duration"},
	}
	for name, want := range records {
		items, err := decodeRecordResponse([]byte(testdata(t, name)), "data")
		if err != nil || len(items) != 1 {
			t.Fatalf("%s: %d items, %v", name, len(items), err)
		}
		ae := &APIError{Code: items[0].Code, Details: items[0].Details}
		got := struct{ code, status, id, apiName string }{items[0].Code, items[0].Status, idString(items[0].Details["id"]), ae.APIName()}
		if want.code == "DUPLICATE_DATA" {
			got.id = ae.duplicateID()
		}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
	}
	mixed, err := decodeRecordResponse([]byte(testdata(t, "insert_mixed_207.json")), "data")
	if err != nil || len(mixed) != 2 || !mixed[0].ok() || mixed[1].ok() {
		t.Errorf("insert_mixed_207.json: %+v, %v", mixed, err)
	}

	tr, err := decodeTokenResponse(200, []byte(testdata(t, "token_success.json")))
	if err != nil || tr.AccessToken != "1000.xxx" || tr.APIDomain != "https://www.zohoapis.com" || tr.Lifetime != time.Hour {
		t.Errorf("token_success.json: %+v, %v", tr, err)
	}
	for name, code := range map[string]string{"token_invalid_code.json": "invalid_code", "token_invalid_client.json": "invalid_client", "token_access_denied.json": "Access Denied"} {
		_, err := decodeTokenResponse(200, []byte(testdata(t, name)))
		oe, ok := err.(*OAuthError)
		if !ok || oe.Code != code {
			t.Errorf("%s: %v", name, err)
		}
	}

	users, more, err := decodeUsers(200, []byte(testdata(t, "users.json")))
	if err != nil || more || len(users) != 2 || users[0] != (crm.User{ID: "5725767000000411001", Name: "Patricia Boyle", Email: "p.boyle@zylker.com", Active: true}) {
		t.Errorf("users.json: %+v %v %v", users, more, err)
	}

	c := &CRM{cfg: Config{Now: time.Now, Logger: discardLogger()}}
	for name, want := range map[string]crm.Record{
		"coql_leads.json": {Module: crm.ModuleLeads, ID: "5725767000000524157", Name: "Inbound Lead", Phones: []string{"+919876543210"},
			SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"},
		"search_leads.json": {Module: crm.ModuleLeads, ID: "5725767000000649013", Name: "Kris Marrier", Phones: []string{"+919876543210", "9876543210"},
			SyncKey: "lc1L_abcdefghijklmnopqrstuvwxyz", OwnerID: "5725767000000411001"},
	} {
		rows, err := decodeRows(200, []byte(testdata(t, name)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs := c.rowsToRecords(crm.ModuleLeads, defaultPhoneFields[crm.ModuleLeads], rows)
		if len(recs) != 1 || recs[0].ID != want.ID || recs[0].Name != want.Name || recs[0].SyncKey != want.SyncKey ||
			recs[0].OwnerID != want.OwnerID || strings.Join(recs[0].Phones, ",") != strings.Join(want.Phones, ",") {
			t.Errorf("%s: got %+v, want %+v", name, recs, want)
		}
	}

	for _, name := range []string{"error_invalid_token.json", "error_authentication_failure.json", "error_scope_mismatch.json",
		"error_no_permission.json", "error_too_many_requests.json", "error_internal.json"} {
		if decodeEnvelope([]byte(testdata(t, name))) == nil {
			t.Errorf("%s is an error envelope", name)
		}
	}
	for _, name := range []string{"insert_success.json", "users.json", "composite_success.json", "coql_leads.json"} {
		if decodeEnvelope([]byte(testdata(t, name))) != nil {
			t.Errorf("%s is no error envelope", name)
		}
	}
}

// FuzzPhoneMatcher: whatever a phone field holds, deciding whether it is the caller's number
// never panics, a match is explained by one of the two documented rules, and formatting
// between the digits of a variant never hides the number.
func FuzzPhoneMatcher(f *testing.F) {
	for _, s := range []string{"+919820011111", "98200 11111", "0091 98200 11111", "+91 (0) 98200 11111", "",
		"+", "++91", "(((", "9820011111 ext 5", "+9198200111112", "tel:;ext=", "٩٨٢٠٠١١١١١", strings.Repeat("9", 70),
		"\x00", "\xff\xfe", "1-800-FLOWERS"} {
		f.Add(s, uint8(3))
	}
	vs := []string{"+919820011111", "09820011111", "9820011111", "919820011111"}
	m := newPhoneMatcher(vs)
	f.Fuzz(func(t *testing.T, stored string, gap uint8) {
		if m.is(stored) {
			n, err := phone.Normalize(stored, m.region)
			if !slices.Contains(vs, phoneDigits(stored)) && (err != nil || n.E164 != m.e164) {
				t.Fatalf("%q matched by neither rule", stored)
			}
		}
		// A variant with formatting characters inserted every gap digits still matches.
		v := vs[int(gap)%len(vs)]
		step := int(gap)%4 + 1
		var b strings.Builder
		for i, r := range v {
			if i > 0 && i%step == 0 {
				b.WriteByte(" -.()"[int(gap)%5])
			}
			b.WriteRune(r)
		}
		if !m.is(b.String()) {
			t.Fatalf("%q (variant %q with formatting) not matched", b.String(), v)
		}
	})
}
