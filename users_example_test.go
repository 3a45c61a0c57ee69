package leadcall_test

import (
	"fmt"

	"github.com/leadcall/leadcall"
)

// Roles nest: an admin may do what a manager may, a manager what a rep may.
func ExampleRole_AtLeast() {
	for _, r := range []leadcall.Role{leadcall.RoleAdmin, leadcall.RoleManager, leadcall.RoleRep, "root"} {
		fmt.Println(r, r.AtLeast(leadcall.RoleManager))
	}
	// Output:
	// admin true
	// manager true
	// rep false
	// root false
}

// Emails are one user whatever their case or surrounding spaces.
func ExampleEmailKey() {
	fmt.Println(leadcall.EmailKey("  Asha@Example.COM "))
	// Output: asha@example.com
}
