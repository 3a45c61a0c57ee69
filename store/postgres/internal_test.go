package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	require.NoError(t, err)
	require.Equal(t, len(ms), SchemaVersion())
	require.Positive(t, SchemaVersion())
	for i, m := range ms {
		require.Equal(t, i+1, m.version)
		require.NotEmpty(t, strings.TrimSpace(m.sql))
	}

	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"migrations/0001_a.sql": {}, "migrations/0003_c.sql": {}},
		"duplicate": {"migrations/0001_a.sql": {}, "migrations/0001_b.sql": {}},
		"no number": {"migrations/init.sql": {}},
		"zero":      {"migrations/0000_a.sql": {}},
		"not first": {"migrations/0002_b.sql": {}},
	} {
		_, err := loadMigrations(fsys)
		require.Error(t, err, name)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want leadcall.Code
	}{
		{pgx.ErrNoRows, leadcall.CodeNotFound},
		{fmt.Errorf("scan: %w", pgx.ErrNoRows), leadcall.CodeNotFound},
		{&pgconn.PgError{Code: "23505"}, leadcall.CodeConflict},
		{&pgconn.PgError{Code: "23503"}, leadcall.CodeNotFound},
		{&pgconn.PgError{Code: "23502"}, leadcall.CodeInvalid},
		{&pgconn.PgError{Code: "22021"}, leadcall.CodeInvalid},
		{&pgconn.PgError{Code: "22001"}, leadcall.CodeInvalid},
		{&pgconn.PgError{Code: "54000"}, leadcall.CodeInvalid},
		{&pgconn.PgError{Code: "40001"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "40P01"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "57014"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "57P01"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "08006"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "53300"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "25006"}, leadcall.CodeUnavailable},
		{&pgconn.PgError{Code: "25P02"}, leadcall.CodeInternal},
		{&pgconn.PgError{Code: "42P01"}, leadcall.CodeInternal},
		{&pgconn.PgError{Code: "28P01"}, leadcall.CodeUnauthorized},
		{&pgconn.PgError{Code: "42501"}, leadcall.CodeUnauthorized},
		{&pgconn.PgError{Code: "3D000"}, leadcall.CodeInvalid},
		{&pgconn.PgError{Code: ""}, leadcall.CodeInternal},
		{io.ErrUnexpectedEOF, leadcall.CodeUnavailable},
		{errClosed, leadcall.CodeUnavailable},
		{errors.New("something else"), leadcall.CodeInternal},
	} {
		require.Equalf(t, tc.want, classify(tc.err), "%v", tc.err)
	}
	require.True(t, retryable(&pgconn.PgError{Code: "40P01"}))
	require.True(t, retryable(fmt.Errorf("commit: %w", &pgconn.PgError{Code: "40001"})))
	require.False(t, retryable(&pgconn.PgError{Code: "23505"}))
	require.False(t, retryable(errors.New("x")))
}

// TestWrapKeepsValuesOut: a refused value is described by its SQLSTATE, never quoted.
func TestWrapKeepsValuesOut(t *testing.T) {
	pe := &pgconn.PgError{Code: "22021", Message: `invalid byte sequence for encoding "UTF8": 0x00`,
		Detail: "Key (number_raw)=(+919812345678) is bad"}
	err := wrap(t.Context(), "op", pe)
	require.Equal(t, leadcall.CodeInvalid, leadcall.CodeOf(err))
	require.NotContains(t, err.Error(), "+9198")
	require.ErrorAs(t, err, &pe, "the driver's error stays in the chain")

	lost := leaseLost("op", 7)
	require.Same(t, lost, wrap(t.Context(), "op2", lost), "ErrLeaseLost passes through")
	classified := invalid("op", "f", "bad")
	require.Same(t, classified, wrap(t.Context(), "op2", classified))
}

func TestConfig(t *testing.T) {
	c, err := (*Config)(nil).withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultMaxAttempts, c.MaxAttempts)
	require.NotNil(t, c.Logger)
	require.NotNil(t, c.Now)

	pc, err := c.poolConfig("postgres://u@127.0.0.1:5432/db?pool_max_conns=7&pool_min_conns=2")
	require.NoError(t, err)
	require.Equal(t, int32(7), pc.MaxConns, "the DSN's pool settings apply when Config leaves them zero")
	require.Equal(t, int32(2), pc.MinConns)
	require.Equal(t, DefaultConnectTimeout, pc.ConnConfig.ConnectTimeout)
	require.Equal(t, "on", pc.ConnConfig.RuntimeParams["synchronous_commit"])
	require.Equal(t, DefaultApplicationName, pc.ConnConfig.RuntimeParams["application_name"])

	c.MaxConns, c.MinConns, c.MaxConnLifetime, c.MaxConnIdleTime, c.HealthCheckPeriod, c.ConnectTimeout =
		12, 3, time.Minute, 2*time.Minute, 3*time.Minute, 4*time.Second
	pc, err = c.poolConfig("postgres://u@127.0.0.1:5432/db?pool_max_conns=7&connect_timeout=30&synchronous_commit=remote_apply")
	require.NoError(t, err)
	require.Equal(t, int32(12), pc.MaxConns, "Config wins over the DSN")
	require.Equal(t, int32(3), pc.MinConns)
	require.Equal(t, time.Minute, pc.MaxConnLifetime)
	require.Equal(t, 2*time.Minute, pc.MaxConnIdleTime)
	require.Equal(t, 3*time.Minute, pc.HealthCheckPeriod)
	require.Equal(t, 4*time.Second, pc.ConnConfig.ConnectTimeout)
	require.Equal(t, "remote_apply", pc.ConnConfig.RuntimeParams["synchronous_commit"], "the DSN's own setting is kept")

	c = Config{MinConns: 9}
	_, err = c.poolConfig("postgres://u@127.0.0.1:5432/db?pool_max_conns=4")
	require.Error(t, err, "MinConns above the DSN's max")
}

func TestCursorRoundTrip(t *testing.T) {
	c := encodeCursor(callCursorTag, 1767000000000, 42)
	got, err := decodeCursor(c, callCursorTag, 2)
	require.NoError(t, err)
	require.Equal(t, []int64{1767000000000, 42}, got)
	_, err = decodeCursor(c, reviewCursorTag, 1)
	require.Error(t, err, "a cursor of another list")
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(callCursorTag, 1, 2))
	f.Add(encodeCursor(reviewCursorTag, 3))
	f.Add("")
	f.Add("!!!")
	f.Add(strings.Repeat("A", 300))
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, k := range []struct {
			tag string
			n   int
		}{{callCursorTag, 2}, {reviewCursorTag, 1}} {
			parts, err := decodeCursor(cursor, k.tag, k.n)
			if err != nil {
				continue
			}
			require.Len(t, parts, k.n)
			again, err := decodeCursor(encodeCursor(k.tag, parts...), k.tag, k.n)
			require.NoError(t, err)
			require.Equal(t, parts, again)
		}
	})
}

func TestParseNotification(t *testing.T) {
	b, err := json.Marshal(notifyPayload{OrgID: "org-a", EventID: 42})
	require.NoError(t, err)
	n, ok := parseNotification(string(b))
	require.True(t, ok)
	require.Equal(t, Notification{OrgID: "org-a", EventID: 42}, n)

	for _, p := range []string{"", "42", "null", `{"org_id":"a"}`, `{"org_id":"a","event_id":0}`, `{"event_id":-1}`,
		`{"org_id":7,"event_id":1}`, `{"event_id":"1"}`, `{"org_id":"` + strings.Repeat("x", maxNotifyOrgID+1) + `","event_id":1}`} {
		_, ok := parseNotification(p)
		require.Falsef(t, ok, "payload %.40q", p)
	}
	n, ok = parseNotification(`{"org_id":"","event_id":9}`)
	require.True(t, ok, "an org too long to send arrives as empty")
	require.Empty(t, n.OrgID)
}

func FuzzParseNotification(f *testing.F) {
	f.Add(`{"org_id":"org-a","event_id":42}`)
	f.Add(`{"org_id":"","event_id":1}`)
	f.Add(`{"event_id":-5}`)
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, payload string) {
		n, ok := parseNotification(payload)
		if !ok {
			require.Zero(t, n)
			return
		}
		require.Positive(t, n.EventID)
		require.LessOrEqual(t, len(n.OrgID), maxNotifyOrgID)
	})
}
