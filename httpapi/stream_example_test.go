package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

// The Hub is the Engine's Notifier; a dashboard reads the org's events from GET /v1/stream,
// first the stored ones after its cursor, then live ones.
func ExampleServer_WithStream() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "httpapi-stream-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	hub, err := httpapi.NewHub(httpapi.HubConfig{})
	if err != nil {
		log.Fatal(err)
	}
	crms := leadcall.SingleCRM{C: memcrm.New(nil)}
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: crms, Notifier: hub})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "default", Name: "Acme"}); err != nil {
		log.Fatal(err)
	}
	const token = "an-admin-token-from-the-environment"
	srv, err := httpapi.New(httpapi.Config{Engine: eng, Store: st, CRMs: crms, AdminToken: token})
	if err != nil {
		log.Fatal(err)
	}
	handler, err := srv.WithStream(httpapi.StreamConfig{Hub: hub})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	defer ts.Close()
	defer hub.Close() // before the server: it ends the stream connections

	url := "ws" + strings.TrimPrefix(ts.URL, "http") + httpapi.StreamPath + "?after=0"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
	if err != nil {
		log.Fatal(err)
	}
	defer conn.CloseNow()

	send := func(auth, method, path, body string, out any) int {
		req, _ := http.NewRequestWithContext(ctx, method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var device httpapi.PairingResponse
	send(token, "POST", "/v1/devices", `{"nickname":"Ads line","kind":"campaign"}`, &device)
	var enrolled httpapi.EnrollResponse
	send("", "POST", "/v1/device/enroll", `{"pairing_code":"`+device.PairingCode+`","model":"Pixel 8"}`, &enrolled)
	status := send(enrolled.Token, "POST", "/v1/device/calls",
		`{"calls":[{"id":"c1","number":"098765 12345","type":"missed","started_at":"`+time.Now().Add(time.Second).Format(time.RFC3339)+`"}]}`, nil)

	_, msg, err := conn.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var ev struct {
		ID     int64  `json:"id"`
		Type   string `json:"type"`
		CallID int64  `json:"call_id"`
	}
	_ = json.Unmarshal(msg, &ev)
	fmt.Println(status, ev.Type, ev.ID > 0, ev.CallID > 0)
	// Output:
	// 200 call.ingested true true
}
