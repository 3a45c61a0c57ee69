package leadcall

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm"
)

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	s := DefaultSettings()
	s.DefaultRegion = "in"
	s.TimeZone = "Asia/Kolkata"
	s.Rules.BlockedNumbers = []string{"098765 12345", "+91-98765 12345", "0091 98765 12345"}
	s.Rules.InternalNumbers = []string{"022 2345 6789"}
	got, err := s.Validate()
	require.NoError(t, err)
	require.Equal(t, "IN", got.DefaultRegion)
	require.Equal(t, []string{"+919876512345"}, got.Rules.BlockedNumbers, "normalised and deduplicated")
	require.Equal(t, []string{"+912223456789"}, got.Rules.InternalNumbers)

	bad := []struct {
		field string
		f     func(*Settings)
	}{
		{"default_region", func(s *Settings) { s.DefaultRegion = "XX" }},
		{"default_region", func(s *Settings) { s.DefaultRegion = "" }},
		{"time_zone", func(s *Settings) { s.TimeZone = "Mars/Olympus" }},
		{"time_zone", func(s *Settings) { s.TimeZone = "" }},
		{"time_zone", func(s *Settings) { s.TimeZone = strings.Repeat("A", 10000) }},
		{"lead_placeholder", func(s *Settings) { s.LeadPlaceholder = "  " }},
		{"lead_placeholder", func(s *Settings) { s.LeadPlaceholder = strings.Repeat("x", 101) }},
		{"lead_placeholder", func(s *Settings) { s.LeadPlaceholder = "a\x00b" }},
		{"task_prefix", func(s *Settings) { s.TaskPrefix = "\xff\xfe" }},
		{"task_due_offset_minutes", func(s *Settings) { s.TaskDueOffsetMinutes = -1 }},
		{"rules.min_answered_seconds", func(s *Settings) { s.Rules.MinAnsweredSeconds = -5 }},
		{"rules.connected_min_seconds", func(s *Settings) { s.Rules.ConnectedMinSeconds = 1 << 40 }},
		{"rules.repeat_window_minutes", func(s *Settings) { s.Rules.RepeatWindowMinutes = -1 }},
		{"rules.blocked_numbers[1]", func(s *Settings) { s.Rules.BlockedNumbers = []string{"9876512345", "not a number"} }},
		{"rules.internal_numbers", func(s *Settings) { s.Rules.InternalNumbers = make([]string, maxNumberListLen+1) }},
	}
	for _, tc := range bad {
		t.Run(tc.field, func(t *testing.T) {
			s := DefaultSettings()
			tc.f(&s)
			_, err := s.Validate()
			require.ErrorIs(t, err, ErrInvalid)
			var le *Error
			require.True(t, errors.As(err, &le))
			require.Equal(t, tc.field, le.Field)
		})
	}
}

func TestErrorsClassify(t *testing.T) {
	t.Parallel()
	native := errors.New("boom")
	err := error(&Error{Code: CodeRateLimited, Op: "zoho: create lead", RetryAfter: 42, Err: native})
	wrapped := errors.Join(errors.New("context"), err)
	require.ErrorIs(t, wrapped, ErrRateLimited)
	require.NotErrorIs(t, wrapped, ErrUnavailable)
	require.ErrorIs(t, wrapped, native, "native error stays reachable")
	require.Equal(t, CodeRateLimited, CodeOf(wrapped))
	require.EqualValues(t, 42, RetryAfterOf(wrapped))
	require.Equal(t, CodeUnknown, CodeOf(native))
	require.Equal(t, "rate_limited", CodeRateLimited.String())
	require.Equal(t, "code(99)", Code(99).String())
	require.Equal(t, "zoho: create lead: boom", err.Error())
	require.Equal(t, "leadcall: x: f: bad", (&Error{Op: "leadcall: x", Field: "f", Message: "bad"}).Error())
}

func TestMetadataFields(t *testing.T) {
	t.Parallel()
	fields := []crm.Field{
		{APIName: "City", Label: "City", DataType: "text", MaxLength: 10},
		{APIName: "Campaign_Name", Label: "Campaign", DataType: "text"},
		{APIName: "Created_Time", Label: "Created Time", DataType: "datetime", ReadOnly: true},
		{APIName: "No_of_Employees", Label: "No. of Employees", DataType: "integer"},
		{APIName: "Industry", Label: "Industry", DataType: "picklist", Picklist: []crm.PicklistValue{{DisplayValue: "Real Estate", ActualValue: "RE"}}},
		{APIName: "LC_Sync_Key", Label: "LC Sync Key", DataType: "text", Unique: true},
	}
	md := map[string]string{
		"city":            "Pune",
		"Campaign":        "Diwali",
		"Created Time":    "x",
		"No_of_Employees": "many",
		"industry":        "re",
		"Lead Source":     "Google Ads",
		"Budget":          "1cr",
		"LC_Sync_Key":     "evil",
		"City Long":       "x",
	}
	got, warns := MetadataFields(fields, md)
	require.Equal(t, map[string]string{"City": "Pune", "Campaign_Name": "Diwali", "Industry": "Real Estate"}, got)
	keys := make([]string, len(warns))
	for i, w := range warns {
		keys[i] = w.Key
	}
	require.Equal(t, []string{"Budget", "City Long", "Created Time", "LC_Sync_Key", "No_of_Employees"}, keys)

	got, warns = MetadataFields(nil, map[string]string{"City": "Pune"})
	require.Empty(t, got)
	require.Len(t, warns, 1)
}
