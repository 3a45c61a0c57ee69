package zoho

// AccountsDataCenter returns the data centre whose accounts server is accountsURL (e.g.
// "https://accounts.zohocloud.ca" → DataCenterCanada), and false for any other URL: a
// redirect's accounts-server parameter comes from the browser, so only Zoho's own servers
// may receive a client secret.
func AccountsDataCenter(accountsURL string) (DataCenter, bool) {
	u, err := checkBaseURL(accountsURL)
	if err != nil {
		return "", false
	}
	for dc, s := range dataCenters {
		if s.accounts == u {
			return dc, true
		}
	}
	return "", false
}

// CanonicalBaseURL returns s as the adapter compares base URLs (scheme and host, no trailing
// slash), or an error when s is not an https URL (http only on loopback) without user info,
// query or fragment.
func CanonicalBaseURL(s string) (string, error) { return checkBaseURL(s) }
