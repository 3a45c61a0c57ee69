package phone

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Number is a valid phone number read by [Normalize]. The zero value means
// "no number". A Number is a plain value, comparable with ==.
type Number struct {
	// Raw is the input exactly as given, before any cleaning.
	Raw string
	// E164 is the canonical form: '+', the country calling code and the
	// national significant number, digits only ("+919876512345").
	E164 string
	// Region is the ISO 3166-1 alpha-2 region the number belongs to
	// ("IN", "GB"), which can differ from the default region it was read
	// with; "001" for non-geographic numbers such as +800 freephone.
	Region string
	// Type is the kind of line, as far as the numbering plan tells.
	Type Type
}

// String returns the masked E.164 form (see [Mask]), so that a Number
// printed into a log line does not reveal the caller. Use the E164 field
// for the number itself.
func (n Number) String() string { return Mask(n.E164) }

// LogValue implements slog.LogValuer with the masked E.164 form.
func (n Number) LogValue() slog.Value { return slog.StringValue(Mask(n.E164)) }

// Type is the kind of line a number belongs to, from libphonenumber's
// metadata. Some plans cannot tell fixed from mobile (the US, for one),
// which gives TypeFixedLineOrMobile.
type Type uint8

// Line types. The zero value is TypeUnknown.
const (
	TypeUnknown Type = iota
	TypeFixedLine
	TypeMobile
	TypeFixedLineOrMobile
	TypeTollFree
	TypePremiumRate
	TypeSharedCost
	TypeVoIP
	TypePersonal
	TypePager
	TypeUAN
	TypeVoicemail
)

var typeNames = [...]string{
	TypeUnknown:           "unknown",
	TypeFixedLine:         "fixed_line",
	TypeMobile:            "mobile",
	TypeFixedLineOrMobile: "fixed_line_or_mobile",
	TypeTollFree:          "toll_free",
	TypePremiumRate:       "premium_rate",
	TypeSharedCost:        "shared_cost",
	TypeVoIP:              "voip",
	TypePersonal:          "personal",
	TypePager:             "pager",
	TypeUAN:               "uan",
	TypeVoicemail:         "voicemail",
}

// String returns the snake_case name of t ("mobile", "fixed_line"), or
// "unknown" for a value outside the list.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return typeNames[TypeUnknown]
}

func typeOf(t phonenumbers.PhoneNumberType) Type {
	switch t {
	case phonenumbers.FIXED_LINE:
		return TypeFixedLine
	case phonenumbers.MOBILE:
		return TypeMobile
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		return TypeFixedLineOrMobile
	case phonenumbers.TOLL_FREE:
		return TypeTollFree
	case phonenumbers.PREMIUM_RATE:
		return TypePremiumRate
	case phonenumbers.SHARED_COST:
		return TypeSharedCost
	case phonenumbers.VOIP:
		return TypeVoIP
	case phonenumbers.PERSONAL_NUMBER:
		return TypePersonal
	case phonenumbers.PAGER:
		return TypePager
	case phonenumbers.UAN:
		return TypeUAN
	case phonenumbers.VOICEMAIL:
		return TypeVoicemail
	default:
		return TypeUnknown
	}
}

// maxE164Digits is the ITU-T E.164 limit on the digits of a number.
const maxE164Digits = 15

// Normalize reads raw, as a phone reported it, and returns the valid
// number it holds. defaultRegion (an ISO 3166-1 alpha-2 code, any case) is
// the region a number written in national form belongs to, normally the
// organisation's; with "" only international input ("+44…", "tel:+44…")
// can be read.
//
// The checks run in this order, and the first that fails decides the
// error:
//
//  1. a non-empty defaultRegion that [CanonicalRegion] refuses:
//     ErrUnknownRegion;
//  2. raw longer than [MaxInputBytes]: ErrTooLong;
//  3. control characters or invalid UTF-8: ErrInvalid;
//  4. nothing left after trimming: ErrEmpty (which also matches ErrPrivate);
//  5. a private marker (see [IsPrivate]): ErrPrivate;
//  6. not a number, letters among the digits, or not a valid number
//     (libphonenumber's IsValidNumber, and its E.164 form must read back
//     as the same number): ErrInvalid, with the reason.
//
// Text before the first digit is ignored ("tel:", "Call "); letters after
// it are refused rather than read as vanity letters, because a caller ID
// is never written as "1-800-FLOWERS". An extension ("ext. 12", ";ext=12")
// is dropped. Errors never contain raw itself, only a [Mask] of it.
func Normalize(raw, defaultRegion string) (Number, error) {
	return normalize(raw, defaultRegion, true)
}

// normalize is Normalize; with fast false it skips the fast path (see
// fastpath.go), so that tests can compare the two.
func normalize(raw, defaultRegion string, fast bool) (Number, error) {
	region := ""
	if defaultRegion != "" {
		r, err := CanonicalRegion(defaultRegion)
		if err != nil {
			return Number{}, err
		}
		region = r
	}
	if len(raw) > MaxInputBytes {
		return Number{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLong, len(raw), MaxInputBytes)
	}
	cleaned, reason := cleanInput(raw)
	if reason != "" {
		return Number{}, invalid(raw, region, reason, nil)
	}
	if cleaned == "" {
		return Number{}, ErrEmpty
	}
	if isPrivateMarker(cleaned) {
		return Number{}, ErrPrivate
	}
	if fast {
		if n, ok := fastParseGuarded(cleaned, region); ok {
			n.Raw = raw
			return n, nil
		}
	}
	n, err := parseValid(raw, cleaned, region)
	if err != nil {
		return Number{}, err
	}
	n.Raw = raw
	return n, nil
}

// parseValid parses cleaned input with libphonenumber and checks that the
// result is valid. It never panics: libphonenumber has panicked on
// malformed input before, and callers feed it strings from devices.
func parseValid(raw, cleaned, region string) (n Number, err error) {
	if panicked(func() { n, err = parseValidUnguarded(raw, cleaned, region) }) {
		return Number{}, invalid(raw, region, "the parser failed on this input", nil)
	}
	return n, err
}

// fastParseGuarded is fastParse, which reports false instead of panicking
// (a bug there must cost speed, not a call).
func fastParseGuarded(cleaned, region string) (n Number, ok bool) {
	defer func() {
		if recover() != nil {
			n, ok = Number{}, false
		}
	}()
	return fastParse(cleaned, region)
}

// panicked runs f and reports whether it panicked. The panic value is
// dropped: it may quote the input.
func panicked(f func()) (didPanic bool) {
	defer func() {
		if recover() != nil {
			didPanic = true
		}
	}()
	f()
	return false
}

func parseValidUnguarded(raw, cleaned, region string) (Number, error) {
	if hasLettersAmongDigits(cleaned) {
		return Number{}, invalid(raw, region, "letters among the digits", nil)
	}
	num, perr := phonenumbers.Parse(cleaned, region)
	if perr != nil {
		return Number{}, invalid(raw, region, parseReason(perr, region != ""), perr)
	}
	if !phonenumbers.IsValidNumber(num) {
		return Number{}, invalid(raw, region, invalidReason(num), nil)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if len(e164) > 1+maxE164Digits {
		return Number{}, invalid(raw, region, "more than 15 digits", nil)
	}
	// The E.164 form is what gets stored and searched for, so it must read
	// back as this same number. For a few inputs it does not: national
	// prefix stripping can turn a national string into a number whose
	// international form libphonenumber reads differently (BY "08100000000").
	// Reading back the same digits means the same, valid, number.
	canon, perr := phonenumbers.Parse(e164, "")
	if perr != nil || phonenumbers.Format(canon, phonenumbers.E164) != e164 {
		return Number{}, invalid(raw, region, "its E.164 form reads as a different number", nil)
	}
	return Number{
		E164:   e164,
		Region: phonenumbers.GetRegionCodeForNumber(num),
		Type:   typeOf(phonenumbers.GetNumberType(num)),
	}, nil
}

// hasLettersAmongDigits reports letters after the first digit or '+' of
// the number part of cleaned input (RFC 3966 parameters and an extension
// are not part of it). libphonenumber would read ASCII letters as vanity
// letters ("1-800-FLOWERS") or drop them, and a caller ID is never
// written that way, so such input is refused rather than turned into a
// number nobody called from. Text before the first digit ("tel:",
// "Call ") is ignored, as libphonenumber ignores it.
func hasLettersAmongDigits(cleaned string) bool {
	if !lettersAfterNumberStart(cleaned) {
		return false // the common case, without the cost of the extension regexps
	}
	s := cleaned
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	s, _ = phonenumbers.MaybeSeparateExtensionFromPhone(s)
	return lettersAfterNumberStart(s)
}

func lettersAfterNumberStart(s string) bool {
	start := strings.IndexFunc(s, func(r rune) bool { return r == '+' || r == '＋' || (r >= '0' && r <= '9') })
	return start >= 0 && strings.IndexFunc(s[start:], unicode.IsLetter) >= 0
}

// invalid builds an ErrInvalid error that names raw only masked.
func invalid(raw, region, reason string, cause error) error {
	if region == "" {
		region = "none"
	}
	if cause != nil {
		return fmt.Errorf("%w %s (default region %s): %s: %w", ErrInvalid, describe(raw), region, reason, cause)
	}
	return fmt.Errorf("%w %s (default region %s): %s", ErrInvalid, describe(raw), region, reason)
}

func parseReason(err error, haveRegion bool) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode) && !haveRegion:
		return "unknown or missing country calling code (no default region)"
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "unknown country calling code"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "too many digits"
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "too few digits"
	default:
		return "not a phone number"
	}
}

func invalidReason(num *phonenumbers.PhoneNumber) string {
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "unknown country calling code"
	case phonenumbers.TOO_SHORT:
		return "too few digits"
	case phonenumbers.TOO_LONG:
		return "too many digits"
	case phonenumbers.INVALID_LENGTH:
		return "wrong number of digits for its country"
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "local number without its area code"
	default:
		return "not an assigned number range"
	}
}
