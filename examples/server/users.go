package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/httpapi"
)

// DemoAdminEmail is the sandbox's demo admin user.
const DemoAdminEmail = "admin@demo.local"

// ensureUsers creates the first admin from AdminEmail/AdminPassword when the org has no users
// and, in sandbox mode, makes the demo admin's password the one it returns for the banner.
func (m *Main) ensureUsers(ctx context.Context) (demoPassword string, err error) {
	orgID := m.orgID()
	cost := m.cfg.BcryptCost
	if cost == 0 {
		cost = httpapi.DefaultBcryptCost
	}
	if m.cfg.AdminEmail != "" {
		users, err := m.store.Users(ctx, orgID)
		if err != nil {
			return "", fmt.Errorf("first admin: %w", err)
		}
		if len(users) == 0 {
			if err := m.createAdmin(ctx, m.cfg.AdminEmail, m.cfg.AdminPassword, cost); err != nil {
				return "", fmt.Errorf("first admin: %w", err)
			}
			m.log.Info("created the first admin user", "email", m.cfg.AdminEmail)
		} else {
			m.log.Info("the org has users already: -admin-email and LEADCALL_ADMIN_PASSWORD are ignored")
		}
	}
	if m.cfg.CRM != CRMSandbox {
		return "", nil
	}
	pw := m.cfg.DemoPassword
	if pw == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		pw = base64.RawURLEncoding.EncodeToString(b[:])
	}
	u, err := m.store.UserByEmail(ctx, orgID, DemoAdminEmail)
	switch {
	case leadcall.CodeOf(err) == leadcall.CodeNotFound:
		err = m.createAdmin(ctx, DemoAdminEmail, pw, cost)
	case err == nil:
		// A restart prints a new password: the demo admin's is reset to it.
		if u.PasswordHash, err = httpapi.HashPassword(pw, httpapi.DefaultMinPassword, cost); err == nil {
			u.Disabled = false
			err = m.store.UpdateUser(ctx, u)
		}
	}
	if err != nil {
		return "", fmt.Errorf("demo admin: %w", err)
	}
	return pw, nil
}

func (m *Main) createAdmin(ctx context.Context, email, password string, cost int) error {
	hash, err := httpapi.HashPassword(password, httpapi.DefaultMinPassword, cost)
	if err != nil {
		return err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return m.store.CreateUser(ctx, &leadcall.User{
		ID: "usr_" + hex.EncodeToString(b[:]), OrgID: m.orgID(), Email: email, Name: "Admin",
		Role: leadcall.RoleAdmin, PasswordHash: hash,
	})
}

func (m *Main) orgID() string {
	if m.cfg.OrgID == "" {
		return httpapi.DefaultOrgID
	}
	return m.cfg.OrgID
}
