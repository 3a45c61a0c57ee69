package export

import (
	"strings"
	"unicode/utf8"
)

// MaxCellBytes is the most bytes a cell holds: a spreadsheet cell holds at most 32,767
// characters, and a hostile value must not make one row huge.
const MaxCellBytes = 32000

// ellipsis ends a cut cell.
const ellipsis = "…"

// maxContent leaves room for the protective quote.
const maxContent = MaxCellBytes - 1

// cell makes s safe for a spreadsheet cell: valid UTF-8, no control characters other than
// tab, newline and carriage return, at most MaxCellBytes bytes, and a leading single quote
// when s would otherwise start like a formula (OWASP CSV injection guidance). Clean values,
// the common case, come back without allocating.
func cell(s string) string {
	if clean(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > maxContent {
		cut := maxContent - len(ellipsis)
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + ellipsis
	}
	if formulaStart(s) {
		s = "'" + s
	}
	return s
}

// clean reports whether s is short printable ASCII that does not start like a formula.
func clean(s string) bool {
	if len(s) > maxContent || formulaStart(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// formulaStart reports whether a spreadsheet could read s as a formula.
func formulaStart(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}
