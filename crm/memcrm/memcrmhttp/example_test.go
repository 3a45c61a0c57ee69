package memcrmhttp_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/memcrm/memcrmhttp"
)

// The CRM and its server live in one process (here, the same); the Client is a leadcall.CRM
// for another process, such as an Engine a test may kill.
func ExampleNewClient() {
	ctx := context.Background()
	c := memcrm.New(nil)
	srv := httptest.NewServer(memcrmhttp.Handler(c)) // loopback
	defer srv.Close()

	var client leadcall.CRM = memcrmhttp.NewClient(srv.URL, srv.Client())
	created, err := client.CreateLead(ctx, &crm.Lead{SyncKey: "k1", LastName: "Inbound Lead", Phone: "+919876543210"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Counts().Leads, c.Leads()[0].ID == created.ID)

	c.FailNext(memcrm.OpAny, 1, memcrm.Fault{Code: leadcall.CodeUnauthorized})
	_, err = client.FindByPhone(ctx, []string{"+919876543210"})
	fmt.Println(leadcall.CodeOf(err))

	_, err = client.CreateLead(ctx, &crm.Lead{SyncKey: "k1", LastName: "Inbound Lead"})
	fmt.Println(err)
	// Output:
	// 1 true
	// unauthorized
	// memcrmhttp: create lead: LC_Sync_Key: a record with this sync key exists
}
