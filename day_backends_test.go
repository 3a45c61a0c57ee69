package leadcall_test

import (
	"strconv"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohotest"
)

// memDay runs the day against memcrm.
type memDay struct {
	h *harness
	c *memcrm.CRM
}

func memcrmDay(h *harness) dayCRM { return &memDay{h: h, c: h.crm} }

func (m *memDay) CRM() leadcall.CRM { return m.c }

func (m *memDay) AddUser(first, last, email string) string {
	id, err := m.c.AddUser(crm.User{Name: first + " " + last, Email: email, Active: true})
	require.NoError(m.h.t, err)
	return id
}

func (m *memDay) DefaultOwner() string {
	users, err := m.c.Users(m.h.ctx)
	require.NoError(m.h.t, err)
	return users[0].ID
}

func (m *memDay) SetPicklist(module crm.Module, field string, values []crm.PicklistValue) {
	require.NoError(m.h.t, m.c.SetPicklist(module, field, values))
}

func (m *memDay) AddLead(first, last, field, phone string) {
	_, err := m.c.AddLead(memcrm.Person{FirstName: first, LastName: last, Phones: map[string]string{field: phone}, OwnerID: m.DefaultOwner()})
	require.NoError(m.h.t, err)
}

func (m *memDay) AddContact(first, last, field, phone string) {
	_, err := m.c.AddContact(memcrm.Person{FirstName: first, LastName: last, Phones: map[string]string{field: phone}, OwnerID: m.DefaultOwner()})
	require.NoError(m.h.t, err)
}

func (m *memDay) Leads() []dayLead {
	var out []dayLead
	for _, l := range m.c.Leads() {
		out = append(out, dayLead{ID: l.ID, Name: strings.TrimSpace(l.FirstName + " " + l.LastName), Phone: l.Phones[0].Value,
			Source: l.LeadSource, Owner: l.OwnerID, Company: l.Fields["Company"]})
	}
	return out
}

func (m *memDay) Contacts() []dayRecord {
	var out []dayRecord
	for _, c := range m.c.Contacts() {
		out = append(out, dayRecord{ID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName)})
	}
	return out
}

func ref(r crm.Ref) string { return string(r.Module) + ":" + r.ID }

func (m *memDay) Calls() []dayActivity {
	var out []dayActivity
	for _, c := range m.c.Calls() {
		out = append(out, dayActivity{Subject: c.Subject, Type: string(c.Type), Start: c.Start.Format(time.RFC3339),
			DurationS: int(c.Duration.Seconds()), Who: ref(c.Who), Owner: c.OwnerID, Result: c.Result})
	}
	return out
}

func (m *memDay) Tasks() []dayActivity {
	var out []dayActivity
	for _, tk := range m.c.Tasks() {
		out = append(out, dayActivity{Subject: tk.Subject, Due: tk.Due.Format("2006-01-02"), Status: tk.Status,
			Priority: tk.Priority, Who: ref(tk.Who), Owner: tk.OwnerID})
	}
	return out
}

// zohoDay runs the day through the Zoho adapter against the fake Zoho server.
type zohoDay struct {
	h   *harness
	srv *zohotest.Server
	c   *zoho.CRM
}

func newZohoDay(cfg zohotest.Config) func(h *harness) dayCRM {
	return func(h *harness) dayCRM {
		ist, err := time.LoadLocation("Asia/Kolkata")
		require.NoError(h.t, err)
		cfg.Addr = "127.0.0.1:0"
		cfg.TimeZone = ist
		srv := zohotest.New(cfg)
		require.NoError(h.t, srv.Start())
		h.t.Cleanup(func() { _ = srv.Close() })
		creds := srv.Credentials()
		c, err := zoho.New(zoho.Config{AccountsURL: creds.AccountsURL, ClientID: creds.ClientID,
			ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken,
			RequestsPerSecond: 500, Burst: 100, RetryAfter: 50 * time.Millisecond})
		require.NoError(h.t, err)
		return &zohoDay{h: h, srv: srv, c: c}
	}
}

func (z *zohoDay) CRM() leadcall.CRM { return z.c }

func (z *zohoDay) AddUser(first, last, email string) string {
	id, err := z.srv.AddUser(zohotest.User{FirstName: first, LastName: last, Email: email, Confirmed: true})
	require.NoError(z.h.t, err)
	return id
}

func (z *zohoDay) DefaultOwner() string { return z.srv.AdminUserID() }

func (z *zohoDay) SetPicklist(module crm.Module, field string, values []crm.PicklistValue) {
	vs := make([]zohotest.PicklistValue, len(values))
	for i, v := range values {
		vs[i] = zohotest.PicklistValue{DisplayValue: v.DisplayValue, ActualValue: v.ActualValue}
	}
	require.NoError(z.h.t, z.srv.SetPicklist(string(module), field, vs))
}

func (z *zohoDay) AddLead(first, last, field, phone string) {
	_, err := z.srv.AddLead(map[string]any{"First_Name": first, "Last_Name": last, field: phone})
	require.NoError(z.h.t, err)
}

func (z *zohoDay) AddContact(first, last, field, phone string) {
	_, err := z.srv.AddContact(map[string]any{"First_Name": first, "Last_Name": last, field: phone})
	require.NoError(z.h.t, err)
}

func (z *zohoDay) Leads() []dayLead {
	var out []dayLead
	for _, r := range z.srv.Records("Leads") {
		out = append(out, dayLead{ID: r.ID, Name: strings.TrimSpace(r.String("First_Name") + " " + r.String("Last_Name")),
			Phone: r.String("Phone"), Source: r.String("Lead_Source"), Owner: r.LookupID("Owner"), Company: r.String("Company")})
	}
	return out
}

func (z *zohoDay) Contacts() []dayRecord {
	var out []dayRecord
	for _, r := range z.srv.Records("Contacts") {
		out = append(out, dayRecord{ID: r.ID, Name: strings.TrimSpace(r.String("First_Name") + " " + r.String("Last_Name"))})
	}
	return out
}

// who renders a Call's or Task's link: What_Id with $se_module for Leads, Who_Id for Contacts.
func zohoWho(r zohotest.Record) string {
	if id := r.LookupID("What_Id"); id != "" {
		return r.String("$se_module") + ":" + id
	}
	if id := r.LookupID("Who_Id"); id != "" {
		return "Contacts:" + id
	}
	return ""
}

func (z *zohoDay) Calls() []dayActivity {
	var out []dayActivity
	for _, r := range z.srv.Records("Calls") {
		start, err := time.Parse(time.RFC3339, r.String("Call_Start_Time"))
		require.NoError(z.h.t, err)
		out = append(out, dayActivity{Subject: r.String("Subject"), Type: r.String("Call_Type"), Start: start.Format(time.RFC3339),
			DurationS: zohoSeconds(z, r.String("Call_Duration")), Who: zohoWho(r), Owner: r.LookupID("Owner"), Result: r.String("Call_Result")})
	}
	return out
}

func zohoSeconds(z *zohoDay, d string) int {
	if d == "" {
		return 0
	}
	m, s, ok := strings.Cut(d, ":")
	require.True(z.h.t, ok, "Call_Duration %q", d)
	mm, err := strconv.Atoi(m)
	require.NoError(z.h.t, err)
	ss, err := strconv.Atoi(s)
	require.NoError(z.h.t, err)
	return mm*60 + ss
}

func (z *zohoDay) Tasks() []dayActivity {
	var out []dayActivity
	for _, r := range z.srv.Records("Tasks") {
		out = append(out, dayActivity{Subject: r.String("Subject"), Due: r.String("Due_Date"), Status: r.String("Status"),
			Priority: r.String("Priority"), Who: zohoWho(r), Owner: r.LookupID("Owner")})
	}
	return out
}
