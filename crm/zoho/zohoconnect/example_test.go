package zohoconnect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohoconnect"
)

// An embedder mounts Start behind its admin check and Callback as a public route; the sink
// keeps the refresh token and switches the org's CRM connection.
func Example() {
	flow, err := zohoconnect.New(zohoconnect.Config{
		ClientID: "1000.EXAMPLE", ClientSecret: "example-secret",
		RedirectURL: "https://leadcall.example.com/v1/crm/zoho/callback",
		AccountsURL: "https://accounts.zoho.eu",
		Subject: func(r *http.Request) (zohoconnect.Subject, error) {
			return zohoconnect.Subject{OrgID: "org1", UserID: "admin1"}, nil // from the session
		},
		Sink: zohoconnect.TokenSinkFunc(func(ctx context.Context, sub zohoconnect.Subject, g *zoho.Grant) error {
			fmt.Println("connected", sub.OrgID, "at", g.AccountsURL)
			return nil
		}),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/crm/zoho/connect", flow.Start)    // admins only
	mux.HandleFunc("GET /v1/crm/zoho/callback", flow.Callback) // public

	consent, _ := flow.URL(zohoconnect.Subject{OrgID: "org1", UserID: "admin1"})
	u, _ := url.Parse(consent)
	fmt.Println(u.Host + u.Path)
	fmt.Println(u.Query().Get("access_type"), u.Query().Get("prompt"))
	// Output:
	// accounts.zoho.eu/oauth/v2/auth
	// offline consent
}
