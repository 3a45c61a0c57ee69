package memcrmhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
	"github.com/leadcall/leadcall/crm/memcrm"
)

// Handler serves c over HTTP. Routes (request and response bodies are JSON):
//
//	POST /v1/find-by-phone          {"variants":[...]}               → {"records":[...]}
//	POST /v1/find-by-sync-key       {"module","key"}                 → {"id"}
//	POST /v1/leads                  lead                             → 201 {"id","adopted"}
//	POST /v1/calls                  call                             → 201 {"id","adopted"}
//	POST /v1/tasks                  task                             → 201 {"id","adopted"}
//	GET  /v1/users                                                   → {"users":[...]}
//	GET  /v1/fields?module=Leads                                     → {"fields":[...]}
//	POST /v1/bundles                {"lead","call","task"}           → {"lead","call","task"} parts
//	POST /v1/tasks/{id}/complete    {"note"}                         → 204
//	GET  /v1/sync-key-status                                         → {"modules":{...}}
//
// Request bodies must be application/json, at most MaxRequestBytes, one JSON value with no
// unknown fields; anything else is refused with CodeInvalid (400, 413 or 415) before the CRM
// sees it. Unknown paths get the ServeMux's plain 404, wrong methods its 405. Errors from c are sent with their code, field, retry-after and existing ID, and a
// Retry-After header for CodeRateLimited. The handler is safe for concurrent use.
func Handler(c *memcrm.CRM) http.Handler {
	s := &server{crm: c}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathFindByPhone, s.findByPhone)
	mux.HandleFunc("POST "+pathFindBySyncKey, s.findBySyncKey)
	mux.HandleFunc("POST "+pathLeads, s.createLead)
	mux.HandleFunc("POST "+pathCalls, s.createCall)
	mux.HandleFunc("POST "+pathTasks, s.createTask)
	mux.HandleFunc("GET "+pathUsers, s.users)
	mux.HandleFunc("GET "+pathFields, s.fields)
	mux.HandleFunc("POST "+pathBundles, s.createBundle)
	mux.HandleFunc("POST "+pathCompleteTask, s.completeTask)
	mux.HandleFunc("GET "+pathSyncKeyStatus, s.syncKeyStatus)
	return mux
}

type server struct {
	crm *memcrm.CRM
}

const opHTTP = "memcrmhttp"

// decode reads the request body into v, refusing anything but one JSON value of v's shape.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType,
			err: leadcall.Errorf(leadcall.CodeInvalid, opHTTP, "content type must be application/json")}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge,
				err: leadcall.Errorf(leadcall.CodeInvalid, opHTTP, "request body exceeds %d bytes", MaxRequestBytes)}
		}
		return &httpError{status: http.StatusBadRequest, err: leadcall.NewError(leadcall.CodeInvalid, opHTTP, fmt.Errorf("malformed JSON body: %w", err))}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &httpError{status: http.StatusBadRequest, err: leadcall.Errorf(leadcall.CodeInvalid, opHTTP, "trailing data after the JSON body")}
	}
	return nil
}

// httpError is a request the handler refuses before the CRM sees it, with its own status.
type httpError struct {
	status int
	err    *leadcall.Error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// statusOf is the one table from codes to HTTP status codes.
func statusOf(code leadcall.Code) int {
	switch code {
	case leadcall.CodeInvalid:
		return http.StatusUnprocessableEntity
	case leadcall.CodeNotFound:
		return http.StatusNotFound
	case leadcall.CodeConflict:
		return http.StatusConflict
	case leadcall.CodeUnauthorized:
		return http.StatusUnauthorized
	case leadcall.CodeRateLimited:
		return http.StatusTooManyRequests
	case leadcall.CodeUnavailable:
		return http.StatusServiceUnavailable
	case leadcall.CodeSeatLimit, leadcall.CodeReconnectRequired:
		return http.StatusForbidden
	default:
		return http.StatusInternalServerError
	}
}

func toWireError(err error) *wireError {
	if errors.Is(err, crm.ErrNotAttempted) {
		return &wireError{Code: leadcall.CodeOf(err).String(), Message: err.Error(), NotAttempted: true}
	}
	var e *leadcall.Error
	if !errors.As(err, &e) {
		return &wireError{Code: leadcall.CodeUnknown.String(), Message: err.Error()}
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	w := &wireError{Code: e.Code.String(), Message: msg, Field: e.Field, ExistingID: e.ExistingID}
	if e.RetryAfter > 0 {
		w.RetryAfterMS = max(e.RetryAfter.Milliseconds(), 1)
	}
	return w
}

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(leadcall.CodeOf(err))
	var he *httpError
	if errors.As(err, &he) {
		status = he.status
	}
	we := toWireError(err)
	if we.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt((we.RetryAfterMS+999)/1000, 10))
	}
	writeJSON(w, status, errorResponse{Error: *we})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":{"code":%q,"message":"encoding the response failed"}}`, leadcall.CodeInternal.String())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *server) findByPhone(w http.ResponseWriter, r *http.Request) {
	var req findByPhoneRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	recs, err := s.crm.FindByPhone(r.Context(), req.Variants)
	if err != nil {
		writeError(w, err)
		return
	}
	resp := findByPhoneResponse{Records: make([]wireRecord, len(recs))}
	for i, rec := range recs {
		resp.Records[i] = wireRecord(rec)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *server) findBySyncKey(w http.ResponseWriter, r *http.Request) {
	var req findBySyncKeyRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	id, err := s.crm.FindBySyncKey(r.Context(), req.Module, req.Key)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, findBySyncKeyResponse{ID: id})
}

// create decodes a request body of type W, converts it and runs a create.
func create[W any, T any](w http.ResponseWriter, r *http.Request, conv func(*W) *T,
	create func(*T) (*crm.Created, error)) {
	var req W
	if err := decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	c, err := create(conv(&req))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, toWireCreated(c))
}

func (s *server) createLead(w http.ResponseWriter, r *http.Request) {
	create(w, r, (*wireLead).lead, func(l *crm.Lead) (*crm.Created, error) { return s.crm.CreateLead(r.Context(), l) })
}

func (s *server) createCall(w http.ResponseWriter, r *http.Request) {
	create(w, r, (*wireCall).call, func(c *crm.Call) (*crm.Created, error) { return s.crm.CreateCall(r.Context(), c) })
}

func (s *server) createTask(w http.ResponseWriter, r *http.Request) {
	create(w, r, (*wireTask).task, func(t *crm.Task) (*crm.Created, error) { return s.crm.CreateTask(r.Context(), t) })
}

func (s *server) users(w http.ResponseWriter, r *http.Request) {
	users, err := s.crm.Users(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, usersResponse{Users: users})
}

func (s *server) fields(w http.ResponseWriter, r *http.Request) {
	fields, err := s.crm.Fields(r.Context(), crm.Module(r.URL.Query().Get("module")))
	if err != nil {
		writeError(w, err)
		return
	}
	resp := fieldsResponse{Fields: make([]wireField, len(fields))}
	for i, f := range fields {
		resp.Fields[i] = wireField(f)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *server) createBundle(w http.ResponseWriter, r *http.Request) {
	var req bundleRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	res, err := s.crm.CreateBundle(r.Context(), &crm.Bundle{Lead: req.Lead.lead(), Call: req.Call.call(), Task: req.Task.task()})
	if err != nil {
		writeError(w, err)
		return
	}
	part := func(p crm.PartResult) wirePart {
		out := wirePart{Created: toWireCreated(p.Created)}
		if p.Err != nil {
			out.Error = toWireError(p.Err)
		}
		return out
	}
	writeJSON(w, http.StatusOK, bundleResponse{Lead: part(res.Lead), Call: part(res.Call), Task: part(res.Task)})
}

func (s *server) completeTask(w http.ResponseWriter, r *http.Request) {
	var req completeTaskRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if err := s.crm.CompleteTask(r.Context(), r.PathValue("id"), req.Note); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) syncKeyStatus(w http.ResponseWriter, r *http.Request) {
	status, err := s.crm.SyncKeyStatus(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	resp := syncKeyStatusResponse{Modules: make(map[crm.Module]wireSyncKeyField, len(status))}
	for m, f := range status {
		resp.Modules[m] = wireSyncKeyField(f)
	}
	writeJSON(w, http.StatusOK, resp)
}
