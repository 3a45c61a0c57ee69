package httpapi

import (
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzStreamAfter: parseAfter accepts exactly the decimal event IDs that fit an int64.
func FuzzStreamAfter(f *testing.F) {
	for _, s := range []string{"0", "1", "007", "9223372036854775807", "9223372036854775808", "-1", "+1", "1e3", "", " 1", "0x1f", "１", "0000000000000000000000", "00000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/v1/stream?after="+url.QueryEscape(v), nil)
		after, ok, err := parseAfter(r)
		if err != nil {
			if ok || after != 0 {
				t.Fatalf("%q: error %v with after=%d ok=%v", v, err, after, ok)
			}
			if n, perr := strconv.ParseInt(v, 10, 64); perr == nil && n >= 0 && !strings.HasPrefix(v, "+") {
				t.Fatalf("%q: refused a valid ID: %v", v, err)
			}
			return
		}
		if !ok || after < 0 {
			t.Fatalf("%q: after=%d ok=%v", v, after, ok)
		}
		if want := strings.TrimLeft(v, "0"); strconv.FormatInt(after, 10) != want && !(after == 0 && want == "") {
			t.Fatalf("%q: parsed as %d", v, after)
		}
	})
}

// FuzzStreamProtocolToken: a token is only ever taken from a "bearer.<token>" entry, bounded.
func FuzzStreamProtocolToken(f *testing.F) {
	for _, s := range []string{"leadcall.v1, bearer.abc", "bearer.", "bearer.x,bearer.y", "", ",,,", "Bearer.abc", "leadcall.v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/v1/stream", nil)
		r.Header.Set("Sec-WebSocket-Protocol", header)
		tok, ok := protocolToken(r)
		if !ok {
			if tok != "" {
				t.Fatalf("%q: token %q without ok", header, tok)
			}
			return
		}
		if tok == "" || len(tok) > maxTokenLen || !strings.Contains(header, StreamTokenProtocolPrefix+tok) {
			t.Fatalf("%q: token %q", header, tok)
		}
	})
}
