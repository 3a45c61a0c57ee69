package zohotest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// UserStatus is a CRM user's status as the Users API reports it.
type UserStatus string

// User statuses (D-USERS7).
const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled" // deactivated
	UserDeleted  UserStatus = "deleted"
)

// User is a CRM user of the org. Only active users may own records here (unconfirmed in
// Zoho's docs, zoho-api.md §7: an inactive owner gets INVALID_DATA on Owner).
type User struct {
	ID        string // assigned by AddUser
	FirstName string
	LastName  string // required
	Email     string // required
	Status    UserStatus
	Confirmed bool
	Role      string // default "Standard"
	Profile   string // "Administrator" makes an admin; default "Standard"
	TimeZone  string // IANA name; default "UTC"
}

// FullName is "First Last", or Last alone.
func (u User) FullName() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// AddUser adds a CRM user and returns its id. A zero Status means [UserActive].
func (s *Server) AddUser(u User) (string, error) {
	if strings.TrimSpace(u.LastName) == "" || strings.TrimSpace(u.Email) == "" {
		return "", errors.New("zohotest: AddUser: LastName and Email are required")
	}
	if u.Status == "" {
		u.Status = UserActive
	}
	switch u.Status {
	case UserActive, UserDisabled, UserDeleted:
	default:
		return "", fmt.Errorf("zohotest: AddUser: unknown status %q", u.Status)
	}
	if u.Role == "" {
		u.Role = "Standard"
	}
	if u.Profile == "" {
		u.Profile = "Standard"
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u.ID = s.nextID()
	s.users = append(s.users, &u)
	return u.ID, nil
}

// SetUserStatus changes a user's status (deactivate or delete a rep).
func (s *Server) SetUserStatus(id string, status UserStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(id)
	if u == nil {
		return fmt.Errorf("zohotest: unknown user %q", id)
	}
	u.Status = status
	return nil
}

// AdminUserID returns the id of the admin user created by [New]; it owns every token.
func (s *Server) AdminUserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.adminID
}

// Users returns a copy of every user, in creation order.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = *u
	}
	return out
}

func (s *Server) userLocked(id string) *User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// userRef renders a user lookup: {"name","id","email"} (D-SEARCH7 sample).
func (s *Server) userRefLocked(id string) map[string]any {
	u := s.userLocked(id)
	if u == nil {
		return map[string]any{"id": id, "name": nil, "email": nil}
	}
	return map[string]any{"name": u.FullName(), "id": u.ID, "email": u.Email}
}

func userJSON(u *User) map[string]any {
	var zuid any = "8" + u.ID[len(u.ID)-8:]
	if u.Status == UserDeleted {
		zuid = nil // D-USERS7: zuid can be null for deleted users
	}
	return map[string]any{
		"id": u.ID, "zuid": zuid, "full_name": u.FullName(), "first_name": u.FirstName,
		"last_name": u.LastName, "email": u.Email, "status": string(u.Status), "confirm": u.Confirmed,
		"role":      map[string]any{"name": u.Role, "id": "5725767000000026005"},
		"profile":   map[string]any{"name": u.Profile, "id": "5725767000000026011"},
		"time_zone": u.TimeZone,
	}
}

// handleUsers implements GET /crm/v8/users?type=...&page=&per_page= (D-USERS7).
func (s *Server) handleUsers(req *apiRequest) apiResponse {
	typ := req.query.Get("type")
	if typ == "" {
		typ = "AllUsers"
	}
	admin := func(u *User) bool { return u.Profile == "Administrator" }
	filters := map[string]func(*User) bool{
		"AllUsers":              func(*User) bool { return true },
		"ActiveUsers":           func(u *User) bool { return u.Status == UserActive },
		"DeactiveUsers":         func(u *User) bool { return u.Status == UserDisabled },
		"DeletedUsers":          func(u *User) bool { return u.Status == UserDeleted },
		"ConfirmedUsers":        func(u *User) bool { return u.Confirmed },
		"NotConfirmedUsers":     func(u *User) bool { return !u.Confirmed },
		"ActiveConfirmedUsers":  func(u *User) bool { return u.Status == UserActive && u.Confirmed },
		"AdminUsers":            admin,
		"ActiveConfirmedAdmins": func(u *User) bool { return u.Status == UserActive && u.Confirmed && admin(u) },
		"CurrentUser":           func(u *User) bool { return u.ID == req.token.userID },
	}
	keep, ok := filters[typ]
	if !ok {
		return errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"param_name": "type"})
	}
	page, perPage, bad := parsePaging(req, 200)
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	var all []map[string]any
	for _, u := range s.users {
		if keep(u) {
			all = append(all, userJSON(u))
		}
	}
	s.mu.Unlock()
	items, more := pageOf(all, page, perPage)
	if len(items) == 0 {
		return apiResponse{status: http.StatusNoContent, credits: 1}
	}
	return apiResponse{status: http.StatusOK, credits: 1, body: map[string]any{"users": items,
		"info": map[string]any{"per_page": perPage, "count": len(items), "page": page, "more_records": more}}}
}

// parsePaging reads page (default 1) and per_page (default and maximum max; 25 inside a
// composite, D-COMP7). A per_page above the maximum is rejected: Zoho's exact answer is
// unconfirmed (zoho-api.md §15), and rejecting surfaces client bugs.
func parsePaging(req *apiRequest, max int) (page, perPage int, bad *apiResponse) {
	if req.composite {
		max = min(max, compositeReadCap)
	}
	invalid := func(name string) (int, int, *apiResponse) {
		r := errResp(http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"param_name": name, "maximum": max})
		return 0, 0, &r
	}
	page, perPage = 1, max
	if v := req.query.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return invalid("page")
		}
		page = n
	}
	if v := req.query.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return invalid("per_page")
		}
		perPage = n
	}
	return page, perPage, nil
}

// maxPage keeps page*per_page far from overflow.
const maxPage = 1_000_000

func pageOf[T any](all []T, page, perPage int) ([]T, bool) {
	start := (page - 1) * perPage
	if start >= len(all) || start < 0 {
		return nil, false
	}
	end := min(start+perPage, len(all))
	return all[start:end], end < len(all)
}
