package memcrmhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

// DefaultTimeout is the request timeout of a Client made without an *http.Client.
const DefaultTimeout = 30 * time.Second

// Client is a leadcall.CRM that calls a Handler over HTTP. It also implements FieldDescriber,
// Bundler, TaskCompleter and SyncKeyChecker. It is safe for concurrent use and never retries.
type Client struct {
	base string
	hc   *http.Client
}

var (
	_ leadcall.CRM            = (*Client)(nil)
	_ leadcall.FieldDescriber = (*Client)(nil)
	_ leadcall.Bundler        = (*Client)(nil)
	_ leadcall.TaskCompleter  = (*Client)(nil)
	_ leadcall.SyncKeyChecker = (*Client)(nil)
)

// NewClient returns a Client for the Handler at baseURL (e.g. "http://127.0.0.1:8080", the
// server's root). hc may be nil for a client with DefaultTimeout. Redirects are not followed
// (the protocol has none, and following one would turn a POST into a GET), unless hc has its
// own CheckRedirect; an answer in 3xx is CodeInvalid. A baseURL that is not an absolute http
// or https URL makes every call fail with CodeInvalid.
func NewClient(baseURL string, hc *http.Client) *Client {
	var own http.Client
	if hc == nil {
		own.Timeout = DefaultTimeout
	} else {
		own = *hc
	}
	if own.CheckRedirect == nil {
		own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), hc: &own}
}

func opName(method string) string { return "memcrmhttp: " + method }

// do sends one request. in (if not nil) is sent as JSON; out (if not nil) receives a 2xx
// JSON body. Every error is a classified *leadcall.Error.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, in, out any) error {
	u, err := url.Parse(c.base + path)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return leadcall.Errorf(leadcall.CodeInvalid, op, "base URL is not an absolute http(s) URL")
	}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return leadcall.NewError(leadcall.CodeInvalid, op, fmt.Errorf("encoding the request: %w", err))
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return leadcall.NewError(leadcall.CodeInvalid, op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		// Refused, reset, timed out or canceled: the request may have been applied.
		return leadcall.NewError(leadcall.CodeUnavailable, op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return leadcall.NewError(leadcall.CodeUnavailable, op, fmt.Errorf("reading the response: %w", err))
	}
	if len(data) > MaxResponseBytes {
		return leadcall.Errorf(leadcall.CodeUnavailable, op, "response exceeds %d bytes", MaxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(op, resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return leadcall.NewError(leadcall.CodeUnavailable, op, fmt.Errorf("malformed response (status %d): %w", resp.StatusCode, err))
	}
	return nil
}

// responseError turns an error response into a *leadcall.Error: from its JSON body when it has
// one, from the status code otherwise.
func responseError(op string, resp *http.Response, data []byte) error {
	var er errorResponse
	if json.Unmarshal(data, &er) == nil && er.Error.Code != "" {
		if e := fromWireError(op, &er.Error); e != nil {
			return e
		}
	}
	code := leadcall.CodeUnknown
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		code = leadcall.CodeUnauthorized
	case s == http.StatusTooManyRequests:
		code = leadcall.CodeRateLimited
	case s == http.StatusRequestTimeout || s >= 500:
		code = leadcall.CodeUnavailable
	case s >= 300 && s < 500:
		code = leadcall.CodeInvalid
	}
	e := leadcall.Errorf(code, op, "HTTP %d", resp.StatusCode)
	if code == leadcall.CodeRateLimited {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	return e
}

// fromWireError returns nil for an unknown code name.
func fromWireError(op string, w *wireError) *leadcall.Error {
	code, ok := codeByName(w.Code)
	if !ok {
		return nil
	}
	e := &leadcall.Error{Code: code, Op: op, Message: w.Message, Field: w.Field, ExistingID: w.ExistingID}
	if e.Message == "" {
		e.Message = code.String()
	}
	if w.RetryAfterMS > 0 {
		e.RetryAfter = time.Duration(min(w.RetryAfterMS, int64(24*time.Hour/time.Millisecond))) * time.Millisecond
	}
	return e
}

// parseRetryAfter reads a Retry-After header in seconds; anything else gives 0.
func parseRetryAfter(v string) time.Duration {
	s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || s <= 0 {
		return 0
	}
	return time.Duration(min(s, 24*3600)) * time.Second
}

// FindByPhone implements leadcall.CRM.
func (c *Client) FindByPhone(ctx context.Context, variants []string) ([]crm.Record, error) {
	var resp findByPhoneResponse
	if variants == nil {
		variants = []string{}
	}
	if err := c.do(ctx, opName("find by phone"), http.MethodPost, pathFindByPhone, nil, findByPhoneRequest{Variants: variants}, &resp); err != nil {
		return nil, err
	}
	out := make([]crm.Record, len(resp.Records))
	for i, r := range resp.Records {
		out[i] = crm.Record(r)
	}
	return out, nil
}

// FindBySyncKey implements leadcall.CRM.
func (c *Client) FindBySyncKey(ctx context.Context, module crm.Module, key string) (string, error) {
	var resp findBySyncKeyResponse
	if err := c.do(ctx, opName("find by sync key"), http.MethodPost, pathFindBySyncKey, nil, findBySyncKeyRequest{Module: module, Key: key}, &resp); err != nil {
		return "", err
	}
	return resp.ID, nil
}

func (c *Client) create(ctx context.Context, op, path string, in any) (*crm.Created, error) {
	var resp wireCreated
	if err := c.do(ctx, op, http.MethodPost, path, nil, in, &resp); err != nil {
		return nil, err
	}
	if resp.ID == "" {
		return nil, leadcall.Errorf(leadcall.CodeUnavailable, op, "malformed response: no id")
	}
	return &crm.Created{ID: resp.ID, Adopted: resp.Adopted}, nil
}

// CreateLead implements leadcall.CRM.
func (c *Client) CreateLead(ctx context.Context, lead *crm.Lead) (*crm.Created, error) {
	op := opName("create lead")
	if lead == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no lead")
	}
	return c.create(ctx, op, pathLeads, toWireLead(lead))
}

// CreateCall implements leadcall.CRM.
func (c *Client) CreateCall(ctx context.Context, call *crm.Call) (*crm.Created, error) {
	op := opName("create call")
	if call == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no call")
	}
	return c.create(ctx, op, pathCalls, toWireCall(call))
}

// CreateTask implements leadcall.CRM.
func (c *Client) CreateTask(ctx context.Context, task *crm.Task) (*crm.Created, error) {
	op := opName("create task")
	if task == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no task")
	}
	return c.create(ctx, op, pathTasks, toWireTask(task))
}

// Users implements leadcall.CRM.
func (c *Client) Users(ctx context.Context) ([]crm.User, error) {
	var resp usersResponse
	if err := c.do(ctx, opName("users"), http.MethodGet, pathUsers, nil, nil, &resp); err != nil {
		return nil, err
	}
	if resp.Users == nil {
		resp.Users = []crm.User{}
	}
	return resp.Users, nil
}

// Fields implements leadcall.FieldDescriber.
func (c *Client) Fields(ctx context.Context, module crm.Module) ([]crm.Field, error) {
	var resp fieldsResponse
	if err := c.do(ctx, opName("fields"), http.MethodGet, pathFields, url.Values{"module": {string(module)}}, nil, &resp); err != nil {
		return nil, err
	}
	out := make([]crm.Field, len(resp.Fields))
	for i, f := range resp.Fields {
		out[i] = crm.Field(f)
	}
	return out, nil
}

// CreateBundle implements leadcall.Bundler.
func (c *Client) CreateBundle(ctx context.Context, b *crm.Bundle) (*crm.BundleResult, error) {
	op := opName("create bundle")
	if b == nil {
		return nil, leadcall.Errorf(leadcall.CodeInvalid, op, "no bundle")
	}
	var resp bundleResponse
	req := bundleRequest{Lead: toWireLead(b.Lead), Call: toWireCall(b.Call), Task: toWireTask(b.Task)}
	if err := c.do(ctx, op, http.MethodPost, pathBundles, nil, req, &resp); err != nil {
		return nil, err
	}
	part := func(p wirePart) (crm.PartResult, error) {
		var out crm.PartResult
		if p.Created != nil {
			if p.Created.ID == "" {
				return out, leadcall.Errorf(leadcall.CodeUnavailable, op, "malformed response: a part without id")
			}
			out.Created = &crm.Created{ID: p.Created.ID, Adopted: p.Created.Adopted}
		}
		switch {
		case p.Error == nil:
		case p.Error.NotAttempted:
			out.Err = fmt.Errorf("%s: %w", op, crm.ErrNotAttempted)
		default:
			if e := fromWireError(op, p.Error); e != nil {
				out.Err = e
			} else {
				out.Err = leadcall.Errorf(leadcall.CodeUnknown, op, "%s", p.Error.Message)
			}
		}
		return out, nil
	}
	var res crm.BundleResult
	var errs [3]error
	res.Lead, errs[0] = part(resp.Lead)
	res.Call, errs[1] = part(resp.Call)
	res.Task, errs[2] = part(resp.Task)
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return &res, nil
}

// CompleteTask implements leadcall.TaskCompleter.
func (c *Client) CompleteTask(ctx context.Context, taskID, note string) error {
	op := opName("complete task")
	if taskID == "" {
		return leadcall.Errorf(leadcall.CodeNotFound, op, "no task ID")
	}
	return c.do(ctx, op, http.MethodPost, strings.Replace(pathCompleteTask, "{id}", url.PathEscape(taskID), 1), nil,
		completeTaskRequest{Note: note}, nil)
}

// SyncKeyStatus implements leadcall.SyncKeyChecker.
func (c *Client) SyncKeyStatus(ctx context.Context) (map[crm.Module]crm.SyncKeyField, error) {
	var resp syncKeyStatusResponse
	if err := c.do(ctx, opName("sync key status"), http.MethodGet, pathSyncKeyStatus, nil, nil, &resp); err != nil {
		return nil, err
	}
	out := make(map[crm.Module]crm.SyncKeyField, len(resp.Modules))
	for m, f := range resp.Modules {
		out[m] = crm.SyncKeyField(f)
	}
	return out, nil
}
