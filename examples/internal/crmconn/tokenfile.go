package crmconn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// maxTokenFileBytes caps the token file; a real one is a few hundred bytes.
const maxTokenFileBytes = 64 << 10

// Saved is the content of the token file: what a restart needs to reconnect.
type Saved struct {
	RefreshToken string    `json:"refresh_token"`
	AccountsURL  string    `json:"accounts_url"`
	ConnectedAt  time.Time `json:"connected_at"`
	ConnectedBy  string    `json:"connected_by,omitempty"`
}

// String hides the refresh token.
func (s Saved) String() string {
	return fmt.Sprintf("crmconn.Saved{AccountsURL:%q ConnectedAt:%s}", s.AccountsURL, s.ConnectedAt.Format(time.RFC3339))
}

// ErrNoToken is returned by LoadToken when the file does not exist.
var ErrNoToken = errors.New("crmconn: no token file")

// LoadToken reads the token file at path. It refuses a file that others than its owner may
// read or write (mode wider than 0600), like ssh does with keys, and a file that is not
// Saved JSON with a refresh token and an accounts URL.
func LoadToken(path string) (Saved, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Saved{}, ErrNoToken
	}
	if err != nil {
		return Saved{}, fmt.Errorf("crmconn: token file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Saved{}, fmt.Errorf("crmconn: token file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return Saved{}, fmt.Errorf("crmconn: token file %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return Saved{}, fmt.Errorf("crmconn: token file %s has mode %v; it holds a secret: chmod 600 it", path, info.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return Saved{}, fmt.Errorf("crmconn: token file: %w", err)
	}
	if len(data) > maxTokenFileBytes {
		return Saved{}, fmt.Errorf("crmconn: token file %s is larger than %d bytes", path, maxTokenFileBytes)
	}
	var s Saved
	if err := json.Unmarshal(data, &s); err != nil {
		// The error of json.Unmarshal may quote the content: name the position only.
		return Saved{}, fmt.Errorf("crmconn: token file %s is not valid JSON", path)
	}
	if s.RefreshToken == "" || s.AccountsURL == "" {
		return Saved{}, fmt.Errorf("crmconn: token file %s lacks refresh_token or accounts_url", path)
	}
	return s, nil
}

// SaveToken writes s to path with mode 0600, atomically: a temporary file in the same
// directory, synced, then renamed over path, so a crash leaves the old file or the new one.
func SaveToken(path string, s Saved) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*") // mode 0600
	if err != nil {
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("crmconn: save token: %w", err)
	}
	return nil
}
