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

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/httpapi"
	"github.com/leadcall/leadcall/store/sqlite"
)

// A phone pairs with the code a manager got when registering it, then uploads a call.
func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "httpapi-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "leadcall.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	crms := leadcall.SingleCRM{C: memcrm.New(nil)}
	eng, err := leadcall.New(leadcall.Config{Store: st, CRMs: crms})
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()
	if err := eng.CreateOrg(ctx, &leadcall.Org{ID: "default", Name: "Acme"}); err != nil {
		log.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Engine: eng, Store: st, CRMs: crms, AdminToken: "an-admin-token-from-the-environment"})
	if err != nil {
		log.Fatal(err)
	}

	send := func(token, method, path, body string, out any) int {
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if out != nil {
			_ = json.Unmarshal(rec.Body.Bytes(), out)
		}
		return rec.Code
	}
	var device httpapi.PairingResponse
	send("an-admin-token-from-the-environment", "POST", "/v1/devices", `{"nickname":"Ads line","kind":"campaign"}`, &device)
	var enrolled httpapi.EnrollResponse
	send("", "POST", "/v1/device/enroll", `{"pairing_code":"`+device.PairingCode+`","model":"Pixel 8"}`, &enrolled)
	var results httpapi.CallsResponse
	status := send(enrolled.Token, "POST", "/v1/device/calls",
		`{"calls":[{"id":"c1","number":"098765 12345","type":"missed","started_at":"`+time.Now().Add(time.Second).Format(time.RFC3339)+`"}]}`, &results)
	fmt.Println(status, results.Results[0].ID, results.Results[0].Status)
	fmt.Println(send("", "POST", "/v1/device/calls", `{"calls":[]}`, nil) == http.StatusUnauthorized)
	// Output:
	// 200 c1 accepted
	// true
}
