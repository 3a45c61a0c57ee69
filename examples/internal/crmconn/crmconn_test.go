package crmconn

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm/memcrm"
	"github.com/leadcall/leadcall/crm/zoho"
	"github.com/leadcall/leadcall/crm/zoho/zohoconnect"
)

func TestSwitch(t *testing.T) {
	t.Parallel()
	s := NewSwitch(ModeZoho, true)
	_, err := s.CRM(t.Context(), "org")
	require.Equal(t, leadcall.CodeNotFound, leadcall.CodeOf(err))
	require.Equal(t, Status{Mode: ModeZoho, CanConnect: true}, s.Status())

	c := memcrm.New(nil)
	s.Set(c, "eu")
	got, err := s.CRM(t.Context(), "org")
	require.NoError(t, err)
	require.Same(t, c, got)
	rec := httptest.NewRecorder()
	s.ServeStatus(rec, httptest.NewRequest(http.MethodGet, "/v1/crm/status", nil))
	var st Status
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
	require.Equal(t, Status{Mode: ModeZoho, Connected: true, DataCentre: "eu", CanConnect: true}, st)

	s.Set(nil, "")
	require.False(t, s.Status().Connected)
}

func TestTokenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "zoho-token.json")
	_, err := LoadToken(path)
	require.ErrorIs(t, err, ErrNoToken)

	want := Saved{RefreshToken: "1000.secret.refresh", AccountsURL: "https://accounts.zoho.eu",
		ConnectedAt: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC), ConnectedBy: "usr_1"}
	require.NoError(t, SaveToken(path, want))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	got, err := LoadToken(path)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NotContains(t, got.String(), want.RefreshToken)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	// Overwriting keeps 0600.
	want.RefreshToken = "1000.second"
	require.NoError(t, SaveToken(path, want))
	got, err = LoadToken(path)
	require.NoError(t, err)
	require.Equal(t, "1000.second", got.RefreshToken)

	bad := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, mode))
		require.NoError(t, os.Chmod(p, mode))
		_, err := LoadToken(p)
		require.Error(t, err)
		return err.Error()
	}
	msg := bad("wide", []byte(`{"refresh_token":"1000.wide-secret","accounts_url":"https://accounts.zoho.com"}`), 0o644)
	require.Contains(t, msg, "chmod 600")
	require.NotContains(t, msg, "wide-secret")
	msg = bad("garbage", []byte(`{"refresh_token":"1000.garbage-secret`), 0o600)
	require.NotContains(t, msg, "garbage-secret")
	bad("empty", []byte(`{}`), 0o600)
	bad("huge", []byte(strings.Repeat(" ", maxTokenFileBytes+1)), 0o600)
	_, err = LoadToken(dir)
	require.ErrorContains(t, err, "not a regular file")
	require.Error(t, SaveToken(filepath.Join(dir, "missing", "x.json"), want))
}

func TestConnector(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token.json")
	sw := NewSwitch(ModeZoho, true)
	woke := 0
	c := &Connector{Switch: sw, OrgID: "default", Path: path, OnConnect: func() { woke++ },
		Base: zoho.Config{ClientID: "1000.ID", ClientSecret: "secret"}}
	g := &zoho.Grant{RefreshToken: "1000.rt", AccountsURL: "https://accounts.zohocloud.ca",
		Token: zoho.Token{AccessToken: "1000.at", APIDomain: "https://www.zohoapis.ca", Expiry: time.Now().Add(time.Hour)}}

	require.ErrorContains(t, c.Connected(context.Background(), zohoconnect.Subject{OrgID: "other"}, g), "serves")
	require.False(t, sw.Status().Connected)
	_, err := os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Error(t, c.Connected(context.Background(), zohoconnect.Subject{OrgID: "default"}, &zoho.Grant{}))

	require.NoError(t, c.Connected(context.Background(), zohoconnect.Subject{OrgID: "default", UserID: "usr_1"}, g))
	require.Equal(t, Status{Mode: ModeZoho, Connected: true, DataCentre: "ca", CanConnect: true}, sw.Status())
	require.Equal(t, 1, woke)
	saved, err := LoadToken(path)
	require.NoError(t, err)
	require.Equal(t, "1000.rt", saved.RefreshToken)
	require.Equal(t, "https://accounts.zohocloud.ca", saved.AccountsURL)
	require.Equal(t, "usr_1", saved.ConnectedBy)
}
