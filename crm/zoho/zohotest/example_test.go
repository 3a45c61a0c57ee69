package zohotest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"strings"

	"github.com/leadcall/leadcall/crm/zoho/zohotest"
)

// token mints an access token the way a Zoho client does.
func token(client *http.Client, creds zohotest.Credentials) (accessToken, apiDomain string) {
	resp, err := client.PostForm(creds.AccountsURL+"/oauth/v2/token", url.Values{
		"grant_type": {"refresh_token"}, "client_id": {creds.ClientID},
		"client_secret": {creds.ClientSecret}, "refresh_token": {creds.RefreshToken}})
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		APIDomain   string `json:"api_domain"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		log.Fatal(err)
	}
	return tok.AccessToken, tok.APIDomain
}

func Example() {
	srv := zohotest.New(zohotest.Config{})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	access, apiDomain := token(client, srv.Credentials())

	search := func() {
		// '+' must travel as %2B; a raw '+' would become a space.
		req, _ := http.NewRequest(http.MethodGet, apiDomain+"/crm/v8/Leads/search?phone=%2B919876543210", nil)
		req.Header.Set("Authorization", "Zoho-oauthtoken "+access)
		resp, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data []map[string]any `json:"data"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out) // a 204 has no body
		fmt.Println(resp.StatusCode, len(out.Data))
	}
	search()
	if _, err := srv.AddLead(map[string]any{"Last_Name": "Kumar", "Mobile": "+91 98765 43210"}); err != nil {
		log.Fatal(err)
	}
	search()
	// Output:
	// 204 0
	// 200 1
}

func ExampleServer_AddFault() {
	srv := zohotest.New(zohotest.Config{})
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	access, apiDomain := token(client, srv.Credentials())

	// The next insert into Leads is applied, then its connection is dropped.
	if _, err := srv.AddFault(zohotest.FaultRule{Endpoint: zohotest.EndpointInsert, Module: "Leads",
		Kind: zohotest.FaultCommitThenDrop, Times: 1}); err != nil {
		log.Fatal(err)
	}
	body := `{"data":[{"Last_Name":"Kumar","LC_Sync_Key":"lc1:EXAMPLE"}]}`
	req, _ := http.NewRequest(http.MethodPost, apiDomain+"/crm/v8/Leads", strings.NewReader(body))
	req.Header.Set("Authorization", "Zoho-oauthtoken "+access)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	fmt.Println("client saw an error:", err != nil)
	fmt.Println("leads with the key:", len(srv.FindBySyncKey("Leads", "lc1:EXAMPLE")))
	// Output:
	// client saw an error: true
	// leads with the key: 1
}
