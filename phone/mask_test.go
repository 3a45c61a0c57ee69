package phone_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/phone"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+919876512345", "********2345"},
		{"+91 98765 12345", "********2345"},
		{"098765 12345", "*******2345"},
		{"+12015550123", "*******0123"},
		{"12345678", "****5678"},
		{"1234567", "****567"},
		{"12345", "***45"},
		{"1234", "**34"},
		{"12", "*2"},
		{"1", "*"},
		{"", ""},
		{"abc", ""},
		{"PRIVATE", ""},
		{"-1", "*"},
		{"०९८७६५ १२३४५", "*******2345"},
		{"\u202a+91 98765 12345\u202c", "********2345"},
		{"+91\x00987651234\xff5", "********2345"},
		{strings.Repeat("9", 10_000) + "1234", "***************1234"},
		{"\xff\xfe\xfd", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, phone.Mask(tt.in), "Mask(%q)", tt.in)
	}
}
