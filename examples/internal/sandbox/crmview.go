package sandbox

import (
	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
	"github.com/leadcall/leadcall/httpapi"
)

// CRMViewPattern is the route of the sandbox's read-only view of the fake Zoho's records:
// GET /v1/sandbox/crm?module=Leads|Contacts|Calls|Tasks&limit=N (see zohotest.Server.ViewHandler
// for the answer and its errors). It exists in sandbox mode only; elsewhere it answers 404,
// which is how the dashboard knows to hide its Sandbox CRM screen.
const CRMViewPattern = "GET /v1/sandbox/crm"

// MountCRMView adds the fake's records view to api for managers and admins (reps get 403;
// numbers are not masked: managers see callers' numbers in the call log too).
func MountCRMView(api *httpapi.Server, fake *zohotest.Server) {
	api.Mount(CRMViewPattern, leadcall.RoleManager, fake.ViewHandler())
}
