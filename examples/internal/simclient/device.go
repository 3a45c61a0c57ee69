package simclient

import (
	"context"
	"fmt"

	"github.com/leadcall/leadcall/httpapi"
)

// Device is a simulated phone that has been created and paired.
type Device struct {
	ID, Nickname, Kind string
	SIM                string
	Token              string // the device token; never printed
}

// DeviceSpec describes a phone to create. LeadSource, when set, is assigned to it from now on;
// RepName, when set, names a sales rep created to carry it.
type DeviceSpec struct {
	Nickname, Kind, SIM, LeadSource string
	RepName, RepEmail               string
}

// Provision creates the device through the manager API, assigns its Lead Source, and enrolls
// it with its pairing code as the phone would.
func (c *Client) Provision(ctx context.Context, spec DeviceSpec) (*Device, error) {
	created, err := c.CreateDevice(ctx, httpapi.DeviceRequest{Nickname: spec.Nickname, Kind: spec.Kind})
	if err != nil {
		return nil, fmt.Errorf("create device %q: %w", spec.Nickname, err)
	}
	if spec.RepName != "" {
		rep, err := c.CreateRep(ctx, httpapi.RepRequest{Name: spec.RepName, Email: spec.RepEmail})
		if err != nil {
			return nil, fmt.Errorf("create rep for %q: %w", spec.Nickname, err)
		}
		if err := c.SetDeviceRep(ctx, created.ID, rep.ID); err != nil {
			return nil, fmt.Errorf("give %q its rep: %w", spec.Nickname, err)
		}
	}
	if spec.LeadSource != "" {
		if _, err := c.SetAssignment(ctx, created.ID, httpapi.AssignmentRequest{LeadSource: spec.LeadSource}); err != nil {
			return nil, fmt.Errorf("assign %q: %w", spec.Nickname, err)
		}
	}
	return c.Pair(ctx, created.PairingCode, spec)
}

// Pair enrolls a phone with a pairing code that a manager created (the admin token is not
// needed); spec describes how the simulated phone behaves.
func (c *Client) Pair(ctx context.Context, code string, spec DeviceSpec) (*Device, error) {
	enrolled, err := c.Enroll(ctx, httpapi.EnrollRequest{PairingCode: code, Model: "SimPhone", OS: "Android 14", AppVersion: "sim-1.0"})
	if err != nil {
		return nil, fmt.Errorf("enroll %q: %w", spec.Nickname, err)
	}
	return &Device{ID: enrolled.DeviceID, Nickname: spec.Nickname, Kind: spec.Kind, SIM: spec.SIM, Token: enrolled.Token}, nil
}
