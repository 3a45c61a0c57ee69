package zohotest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{})
	rep, err := h.srv.AddUser(User{FirstName: "Ravi", LastName: "Iyer", Email: "ravi@example.com", Confirmed: true})
	require.NoError(t, err)
	off, err := h.srv.AddUser(User{LastName: "Off", Email: "off@example.com"})
	require.NoError(t, err)
	require.NoError(t, h.srv.SetUserStatus(off, UserDisabled))
	del, err := h.srv.AddUser(User{LastName: "Del", Email: "del@example.com", Status: UserDeleted})
	require.NoError(t, err)
	admin := h.srv.AdminUserID()

	users := func(query string) (int, []string, map[string]any) {
		status, body := h.call(t, http.MethodGet, "/crm/v8/users"+query, nil)
		var got []string
		list, _ := body["users"].([]any)
		for _, u := range list {
			got = append(got, u.(map[string]any)["id"].(string))
		}
		return status, got, body
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{admin, rep, off, del}},
		{"?type=ActiveUsers", []string{admin, rep}},
		{"?type=DeactiveUsers", []string{off}},
		{"?type=DeletedUsers", []string{del}},
		{"?type=ActiveConfirmedAdmins", []string{admin}},
		{"?type=AdminUsers", []string{admin}},
		{"?type=NotConfirmedUsers", []string{off, del}},
		{"?type=CurrentUser", []string{admin}},
		{"?type=ActiveUsers&per_page=1&page=2", []string{rep}},
	} {
		status, got, _ := users(tc.query)
		require.Equal(t, http.StatusOK, status, tc.query)
		require.Equal(t, tc.want, got, tc.query)
	}
	_, _, body := users("?type=ActiveUsers&per_page=1")
	require.Empty(t, cmp.Diff(map[string]any{"per_page": float64(1), "count": float64(1), "page": float64(1), "more_records": true}, body["info"]))
	u := body["users"].([]any)[0].(map[string]any)
	// D-USERS7 sample keys (a subset).
	for _, k := range []string{"id", "zuid", "full_name", "first_name", "last_name", "email", "status", "confirm", "role", "profile", "time_zone"} {
		require.Contains(t, u, k)
	}
	require.Equal(t, "Patricia Boyle", u["full_name"])
	require.Equal(t, "active", u["status"])
	_, _, body = users("?type=DeletedUsers")
	require.Nil(t, body["users"].([]any)[0].(map[string]any)["zuid"])

	status, _, _ := users("?type=ActiveUsers&page=3&per_page=1")
	require.Equal(t, http.StatusNoContent, status)
	status, _, body = users("?type=Everyone")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "INVALID_DATA", body["code"])
	status, _, _ = users("?per_page=201")
	require.Equal(t, http.StatusBadRequest, status)
	require.Len(t, h.srv.Users(), 4)
}

func TestFieldsMetadata(t *testing.T) {
	t.Parallel()
	h := setup(t, Config{SyncKey: map[string]SyncKeyMode{"Calls": SyncKeyPlain, "Tasks": SyncKeyAbsent}})
	fields := func(module string) map[string]map[string]any {
		status, body := h.call(t, http.MethodGet, "/crm/v8/settings/fields?module="+module, nil)
		require.Equal(t, http.StatusOK, status)
		out := map[string]map[string]any{}
		for _, f := range body["fields"].([]any) {
			m := f.(map[string]any)
			out[m["api_name"].(string)] = m
		}
		return out
	}
	leads := fields("Leads")
	src := leads["Lead_Source"]
	require.Equal(t, "picklist", src["data_type"])
	require.Equal(t, "string", src["json_type"])
	require.Equal(t, false, src["read_only"])
	var googleAds, facebook map[string]any
	for _, v := range src["pick_list_values"].([]any) {
		pv := v.(map[string]any)
		switch pv["display_value"] {
		case "Google Ads":
			googleAds = pv
		case "Facebook":
			facebook = pv
		}
	}
	// D-FIELDS7 pick_list_values item keys.
	require.Equal(t, []string{"actual_value", "colour_code", "display_value", "id", "reference_value", "sequence_number", "type"}, keys(googleAds))
	require.Equal(t, "Google AdWords", googleAds["actual_value"])
	require.Equal(t, "used", googleAds["type"])
	require.Equal(t, "unused", facebook["type"])

	key := leads[SyncKeyField]
	require.Equal(t, true, key["custom_field"])
	require.Equal(t, "text", key["data_type"])
	require.Equal(t, float64(255), key["length"])
	require.Equal(t, map[string]any{"casesensitive": false}, key["unique"])
	require.Equal(t, map[string]any{}, leads["Phone"]["unique"])
	require.Equal(t, "phone", leads["Mobile"]["data_type"])
	require.Equal(t, true, leads["Last_Name"]["system_mandatory"])
	require.Equal(t, false, leads["Company"]["system_mandatory"], "Company is not system-mandatory (D-FIELDS7)")
	require.Equal(t, true, leads["Full_Name"]["read_only"])
	require.Equal(t, "ownerlookup", leads["Owner"]["data_type"])

	contacts := fields("contacts")
	for _, p := range []string{"Phone", "Mobile", "Home_Phone", "Other_Phone", "Asst_Phone"} {
		require.Equal(t, "phone", contacts[p]["data_type"], p)
	}
	require.Equal(t, map[string]any{}, fields("Calls")[SyncKeyField]["unique"])
	require.NotContains(t, fields("Tasks"), SyncKeyField)
	calls := fields("Calls")
	require.Equal(t, "datetime", calls["Call_Start_Time"]["data_type"])
	require.Equal(t, "lookup", calls["What_Id"]["data_type"])

	status, body := h.call(t, http.MethodGet, "/crm/v8/settings/fields", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Empty(t, cmp.Diff(errorEnvelope("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing",
		map[string]any{"param": "module"}), body))
	status, body = h.call(t, http.MethodGet, "/crm/v8/settings/fields?module=Leads&type=unused", nil)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, body["fields"])
}
