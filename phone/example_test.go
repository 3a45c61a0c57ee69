package phone_test

import (
	"errors"
	"fmt"

	"github.com/leadcall/leadcall/phone"
)

func ExampleNormalize() {
	for _, raw := range []string{"098765 12345", "+91-98765 12345", "0091 98765 12345", "9876512345", "+44 20 7946 0958"} {
		n, err := phone.Normalize(raw, "IN")
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(n.E164, n.Region, n.Type)
	}
	// Output:
	// +919876512345 IN mobile
	// +919876512345 IN mobile
	// +919876512345 IN mobile
	// +919876512345 IN mobile
	// +442079460958 GB fixed_line
}

func ExampleNormalize_errors() {
	for _, raw := range []string{"Private Number", "", "12345", "abc"} {
		_, err := phone.Normalize(raw, "IN")
		switch {
		case errors.Is(err, phone.ErrPrivate):
			fmt.Println("private_number:", err)
		case errors.Is(err, phone.ErrInvalid):
			fmt.Println("invalid_number:", err)
		}
	}
	// Output:
	// private_number: phone: private or withheld number
	// private_number: phone: empty number
	// invalid_number: phone: invalid number "***45" (default region IN): too few digits
	// invalid_number: phone: invalid number (no digits) (default region IN): not a phone number: the phone number supplied is not a number
}

func ExampleSearchVariants() {
	n, err := phone.Normalize("098765 43210", "IN")
	if err != nil {
		fmt.Println(err)
		return
	}
	variants, err := phone.SearchVariants(n.E164)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(variants)
	// Output:
	// [+919876543210 09876543210 9876543210 919876543210]
}

func ExampleMask() {
	fmt.Println(phone.Mask("+91 98765 12345"))
	fmt.Println(phone.Mask("12345"))
	// Output:
	// ********2345
	// ***45
}

func ExampleIsPrivate() {
	fmt.Println(phone.IsPrivate(" Anonymous "), phone.IsPrivate("-1"), phone.IsPrivate("+919876512345"))
	// Output:
	// true true false
}

func ExampleCanonicalRegion() {
	region, err := phone.CanonicalRegion(" in ")
	fmt.Println(region, err)
	_, err = phone.CanonicalRegion("india")
	fmt.Println(err)
	// Output:
	// IN <nil>
	// phone: unknown region "india": want a two-letter ISO 3166-1 code
}
