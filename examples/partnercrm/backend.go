package partnercrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file is "Acme CRM", the partner's own system, with its own record shapes and errors.
// It knows nothing of leadcall. In real life it would be a remote API; here it is a JSON file.

// Person kinds.
const (
	KindProspect = "prospect" // leadcall's Lead
	KindCustomer = "customer" // leadcall's Contact
)

// Activity kinds and call directions.
const (
	ActivityCall = "call" // leadcall's Call
	ActivityTodo = "todo" // leadcall's Task

	DirectionIn     = "in"
	DirectionOut    = "out"
	DirectionMissed = "missed"
)

// Limits Acme enforces.
const (
	maxName   = 200
	maxNotes  = 10_000
	maxNumber = 40
	maxRef    = 128
)

// Number is one phone number of a person, as typed.
type Number struct {
	Label string `json:"label"` // "main", "mobile", "home", "work"
	Value string `json:"value"`
}

// Person is a prospect or a customer.
type Person struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	FullName    string    `json:"full_name"`
	Numbers     []Number  `json:"numbers"`
	Channel     string    `json:"channel,omitempty"` // where the prospect came from
	Notes       string    `json:"notes,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
	ExternalRef string    `json:"external_ref,omitempty"` // unique among people
	Archived    bool      `json:"archived,omitempty"`     // a converted prospect
	Created     time.Time `json:"created"`
}

// Activity is a logged call or a to-do.
type Activity struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	PersonID    string    `json:"person_id"`
	Title       string    `json:"title"`
	Direction   string    `json:"direction,omitempty"` // calls
	At          time.Time `json:"at,omitzero"`         // calls
	Seconds     int       `json:"seconds,omitempty"`   // calls
	Outcome     string    `json:"outcome,omitempty"`   // calls
	DueDay      string    `json:"due_day,omitempty"`   // to-dos, YYYY-MM-DD
	Done        bool      `json:"done,omitempty"`      // to-dos
	Notes       string    `json:"notes,omitempty"`
	AgentID     string    `json:"agent_id,omitempty"`
	ExternalRef string    `json:"external_ref,omitempty"` // unique per kind
	Created     time.Time `json:"created"`
}

// Agent is an Acme user.
type Agent struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Enabled bool   `json:"enabled"`
}

// Acme's errors.
var (
	ErrNotFound = errors.New("acme: not found")
	ErrBadToken = errors.New("acme: invalid or expired token")
)

// ValidationError is Acme's refusal of bad input.
type ValidationError struct{ Field, Reason string }

func (e *ValidationError) Error() string { return "acme: invalid " + e.Field + ": " + e.Reason }

// DuplicateRefError is Acme's refusal of an external ref some record of the kind holds.
type DuplicateRefError struct{ ExistingID string }

func (e *DuplicateRefError) Error() string { return "acme: external_ref taken by " + e.ExistingID }

// BusyError is Acme's throttling answer.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string { return fmt.Sprintf("acme: busy, retry in %v", e.RetryAfter) }

// Store is Acme CRM, kept in one JSON file that every write rewrites. Safe for concurrent use.
type Store struct {
	path string

	mu       sync.Mutex
	data     storeData
	nextFail *scriptedFailure
}

type storeData struct {
	NextID     int64       `json:"next_id"`
	People     []*Person   `json:"people"`
	Activities []*Activity `json:"activities"`
	Agents     []*Agent    `json:"agents"`
}

type scriptedFailure struct {
	err        error
	afterWrite bool
}

// Open opens the store in the file at path, creating an empty one when the file does not exist.
func Open(path string) (*Store, error) {
	s := &Store{path: path}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, s.save()
	case err != nil:
		return nil, fmt.Errorf("acme: open: %w", err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("acme: open %s: corrupt data: %w", filepath.Base(path), err)
	}
	return s, nil
}

// FailNext makes the next request fail with err (a *BusyError, ErrBadToken, or anything, which
// reads as an outage). With afterWrite the request is applied and saved first, and its answer
// lost. This is Acme's outage simulator, for tests.
func (s *Store) FailNext(err error, afterWrite bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFail = &scriptedFailure{err: err, afterWrite: afterWrite}
}

// begin starts a request: ctx, then a scripted failure. Caller holds s.mu. It returns the
// failure to report after a write.
func (s *Store) begin(ctx context.Context) (after error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := s.nextFail
	s.nextFail = nil
	switch {
	case f == nil:
		return nil, nil
	case f.afterWrite:
		return f.err, nil
	default:
		return nil, f.err
	}
}

// save rewrites the file atomically. Caller holds s.mu.
func (s *Store) save() error {
	b, err := json.Marshal(&s.data)
	if err != nil {
		return fmt.Errorf("acme: save: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("acme: save: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("acme: save: %w", err)
	}
	return nil
}

func (s *Store) newID(prefix string) string {
	s.data.NextID++
	return prefix + strconv.FormatInt(s.data.NextID, 10)
}

// digits keeps the digits of a phone number: Acme matches numbers by their digits.
func digits(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return &ValidationError{field, "required"}
	case !utf8.ValidString(v):
		return &ValidationError{field, "not UTF-8"}
	case utf8.RuneCountInString(v) > max:
		return &ValidationError{field, fmt.Sprintf("longer than %d characters", max)}
	}
	return nil
}

func checkNumber(v string) error {
	if v == "" || len(v) > maxNumber || strings.Trim(v, "+0123456789 -.()") != "" || digits(v) == "" {
		return &ValidationError{"numbers", "not a phone number"}
	}
	return nil
}

// agent checks an agent ID for a new record. Caller holds s.mu.
func (s *Store) checkAgent(id string) error {
	if id == "" {
		return nil
	}
	for _, a := range s.data.Agents {
		if a.ID == id && a.Enabled {
			return nil
		}
	}
	return &ValidationError{"agent_id", "no such enabled agent"}
}

func (s *Store) person(id string) *Person {
	for _, p := range s.data.People {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// SearchByNumber returns the people (archived ones excluded) with a number whose digits equal
// those of one of numbers.
func (s *Store) SearchByNumber(ctx context.Context, numbers []string) ([]Person, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool)
	for _, n := range numbers {
		if d := digits(n); d != "" {
			want[d] = true
		}
	}
	var out []Person
	for _, p := range s.data.People {
		if p.Archived {
			continue
		}
		if slices.ContainsFunc(p.Numbers, func(n Number) bool { return want[digits(n.Value)] }) {
			out = append(out, *p)
		}
	}
	return out, after
}

// FindByRef returns the ID of the person (kind "person") or activity (ActivityCall,
// ActivityTodo) with the external ref, or ErrNotFound.
func (s *Store) FindByRef(ctx context.Context, kind, ref string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	if id := s.refHolder(kind, ref); id != "" {
		return id, after
	}
	if after != nil {
		return "", after
	}
	return "", ErrNotFound
}

func (s *Store) refHolder(kind, ref string) string {
	if ref == "" {
		return ""
	}
	if kind == "person" {
		for _, p := range s.data.People {
			if p.ExternalRef == ref {
				return p.ID
			}
		}
		return ""
	}
	for _, a := range s.data.Activities {
		if a.Kind == kind && a.ExternalRef == ref {
			return a.ID
		}
	}
	return ""
}

// InsertPerson stores a new person and returns its ID.
func (s *Store) InsertPerson(ctx context.Context, p Person) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	if p.Kind != KindProspect && p.Kind != KindCustomer {
		return "", &ValidationError{"kind", "unknown"}
	}
	p.FullName = strings.TrimSpace(p.FullName)
	for _, err := range []error{checkText("full_name", p.FullName, maxName, true), checkText("notes", p.Notes, maxNotes, false),
		checkText("channel", p.Channel, maxName, false), checkText("external_ref", p.ExternalRef, maxRef, false), s.checkAgent(p.AgentID)} {
		if err != nil {
			return "", err
		}
	}
	for _, n := range p.Numbers {
		if err := checkNumber(n.Value); err != nil {
			return "", err
		}
	}
	if id := s.refHolder("person", p.ExternalRef); id != "" {
		return "", &DuplicateRefError{ExistingID: id}
	}
	p.ID, p.Created = s.newID("P"), time.Now().UTC()
	p.Numbers = slices.Clone(p.Numbers)
	s.data.People = append(s.data.People, &p)
	if err := s.save(); err != nil {
		return "", err
	}
	return p.ID, after
}

// InsertActivity stores a new call or to-do and returns its ID.
func (s *Store) InsertActivity(ctx context.Context, a Activity) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return "", err
	}
	a.Title = strings.TrimSpace(a.Title)
	for _, err := range []error{checkText("title", a.Title, maxName, true), checkText("notes", a.Notes, maxNotes, false),
		checkText("external_ref", a.ExternalRef, maxRef, false), s.checkAgent(a.AgentID)} {
		if err != nil {
			return "", err
		}
	}
	switch a.Kind {
	case ActivityCall:
		if a.Direction != DirectionIn && a.Direction != DirectionOut && a.Direction != DirectionMissed {
			return "", &ValidationError{"direction", "unknown"}
		}
		if a.At.IsZero() {
			return "", &ValidationError{"at", "required"}
		}
		if a.Seconds < 0 {
			return "", &ValidationError{"seconds", "negative"}
		}
	case ActivityTodo:
		if _, err := time.Parse(time.DateOnly, a.DueDay); err != nil {
			return "", &ValidationError{"due_day", "not a date"}
		}
	default:
		return "", &ValidationError{"kind", "unknown"}
	}
	if s.person(a.PersonID) == nil {
		return "", &ValidationError{"person_id", "no such person"}
	}
	if id := s.refHolder(a.Kind, a.ExternalRef); id != "" {
		return "", &DuplicateRefError{ExistingID: id}
	}
	a.ID, a.Created = s.newID("A"), time.Now().UTC()
	s.data.Activities = append(s.data.Activities, &a)
	if err := s.save(); err != nil {
		return "", err
	}
	return a.ID, after
}

// MarkDone marks a to-do done and appends note to its notes; a done to-do stays as it is.
func (s *Store) MarkDone(ctx context.Context, id, note string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return err
	}
	for _, a := range s.data.Activities {
		if a.ID != id || a.Kind != ActivityTodo {
			continue
		}
		if a.Done {
			return after
		}
		notes := strings.TrimSpace(a.Notes + "\n" + note)
		if err := checkText("notes", notes, maxNotes, false); err != nil {
			return err
		}
		a.Done, a.Notes = true, notes
		if err := s.save(); err != nil {
			return err
		}
		return after
	}
	return ErrNotFound
}

// Agents returns every agent.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Agent, len(s.data.Agents))
	for i, a := range s.data.Agents {
		out[i] = *a
	}
	return out, after
}

// GetPerson and GetActivity read one record; they do not go through the outage simulator.
func (s *Store) GetPerson(id string) (Person, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.person(id); p != nil {
		out := *p
		out.Numbers = slices.Clone(p.Numbers)
		return out, nil
	}
	return Person{}, ErrNotFound
}

// GetActivity reads one activity.
func (s *Store) GetActivity(id string) (Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.data.Activities {
		if a.ID == id {
			return *a, nil
		}
	}
	return Activity{}, ErrNotFound
}

// AddAgent adds an agent (an admin action in Acme).
func (s *Store) AddAgent(name, email string, enabled bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkText("name", name, maxName, true); err != nil {
		return "", err
	}
	a := &Agent{ID: s.newID("U"), Name: name, Email: email, Enabled: enabled}
	s.data.Agents = append(s.data.Agents, a)
	return a.ID, s.save()
}

// Convert archives a prospect and makes a customer of it (a person's action in Acme), returning
// the customer's ID.
func (s *Store) Convert(prospectID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.person(prospectID)
	if p == nil || p.Kind != KindProspect || p.Archived {
		return "", ErrNotFound
	}
	c := &Person{ID: s.newID("P"), Kind: KindCustomer, FullName: p.FullName, Numbers: slices.Clone(p.Numbers),
		AgentID: p.AgentID, Created: time.Now().UTC()}
	p.Archived = true
	s.data.People = append(s.data.People, c)
	return c.ID, s.save()
}
