package zoho

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadcall/leadcall/crm"
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
