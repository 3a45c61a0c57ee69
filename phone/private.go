package phone

import "strings"

// privateWords are the words phones and carriers put in place of a
// withheld caller ID (DESIGN §10).
var privateWords = [...]string{"PRIVATE", "UNKNOWN", "RESTRICTED", "ANONYMOUS", "WITHHELD"}

// privateSuffixes may follow a private word ("Private Number",
// "Anonymous Caller").
var privateSuffixes = [...]string{"NUMBER", "CALLER"}

// IsPrivate reports whether raw is a marker for a withheld caller ID rather
// than a number. After the input is cleaned as [Normalize] cleans it
// (invisible format characters removed, Unicode digits made ASCII, Unicode
// spaces trimmed), these are private:
//
//   - the empty string;
//   - "-1", "-2" and "-3" (Android's legacy restricted, unknown and payphone
//     placeholders);
//   - PRIVATE, UNKNOWN, RESTRICTED, ANONYMOUS or WITHHELD, in any ASCII case;
//   - one of those words followed by NUMBER or CALLER, separated by spaces,
//     '_' or '-' ("Private Number", "anonymous_caller", "UNKNOWN-NUMBER").
//
// Nothing else is: not "Unavailable", "Blocked", "---" or text in other
// scripts. Input longer than [MaxInputBytes], or that Normalize refuses to
// clean (control characters, invalid UTF-8), is never private. Normalize
// returns an error matching [ErrPrivate] exactly when IsPrivate is true.
func IsPrivate(raw string) bool {
	if len(raw) > MaxInputBytes {
		return false
	}
	cleaned, reason := cleanInput(raw)
	return reason == "" && isPrivateMarker(cleaned)
}

// isPrivateMarker applies the rules of IsPrivate to trimmed input.
func isPrivateMarker(s string) bool {
	switch s {
	case "", "-1", "-2", "-3":
		return true
	}
	// The longest marker is "RESTRICTED" + separator + "NUMBER".
	if len(s) > 20 || !isASCIILetter(s[0]) || !isASCIILetter(s[len(s)-1]) {
		return false
	}
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '_' || r == '-'

	})
	if len(words) > 2 || !equalFoldAny(words[0], privateWords[:]) {
		return false
	}
	return len(words) == 1 || equalFoldAny(words[1], privateSuffixes[:])
}

// equalFoldAny reports whether word equals one of the upper-case ASCII
// candidates, ignoring ASCII case only (no Unicode folding, so look-alike
// letters such as the dotless i do not match).
func equalFoldAny(word string, candidates []string) bool {
	for _, c := range candidates {
		if asciiEqualFold(word, c) {
			return true
		}
	}
	return false
}

func asciiEqualFold(s, upper string) bool {
	if len(s) != len(upper) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
