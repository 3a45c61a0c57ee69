// Package phone turns caller numbers, as phones report them, into E.164
// numbers, and derives the strings used to find a caller in a CRM.
//
// It is pure: it does no I/O, reads no clock and holds no mutable state (a
// region's numbering-plan patterns are compiled once, on first use, and
// never change), so every function is safe for concurrent use. Parsing and
// validation come from github.com/nyaruka/phonenumbers (a port of Google's
// libphonenumber); this package adds input cleaning, private-number
// detection, error classification, masking for logs and CRM search
// variants on top of it.
//
// [Normalize] reads the plain shapes phones send (ASCII or other decimal
// digits, an optional leading '+', spaces, dashes, dots and parentheses)
// without libphonenumber's general parser: it replays that parser's steps
// with the same metadata patterns, compiled once, which is over ten times
// faster and gives the same result. Anything else goes through the full
// parser.
//
// # Normalising
//
// [Normalize] reads a raw number with the organisation's default region
// (an ISO 3166-1 alpha-2 code such as "IN") and returns a [Number] whose
// E164 field is the canonical form, e.g. "+919876512345" for any of
// "098765 12345", "+91-98765 12345", "0091 98765 12345" or "9876512345"
// read with region "IN". Only numbers that libphonenumber considers valid
// (an assigned range of the right length), with at most 15 digits, and
// whose E.164 form reads back as the same number are accepted. A "tel:"
// URI, spaces, dots, dashes, parentheses, any Unicode decimal digits,
// Unicode spaces and invisible formatting marks (such as the bidi marks
// Android wraps around numbers) are all accepted. Letters among the digits
// are refused rather than read as vanity letters, and an extension
// ("ext. 12") is dropped. Keep the raw input next to the E.164 form: a
// number that fails here is still a call.
//
// # Private numbers
//
// [IsPrivate] reports the markers phones use for a withheld caller ID.
// [Normalize] checks them before parsing and returns [ErrPrivate].
//
// # Errors
//
// Every error from this package matches exactly one of [ErrEmpty],
// [ErrPrivate], [ErrTooLong], [ErrInvalid] or [ErrUnknownRegion] with
// errors.Is, except that [ErrEmpty] also matches [ErrPrivate] (an empty
// caller ID is a withheld one). Error text never contains the raw number:
// at most its last four digits, masked as [Mask] does, because errors end
// up in logs.
//
// # Searching a CRM
//
// [SearchVariants] lists the forms in which a CRM may have stored a
// number, so that one caller is found whatever format a person typed. For
// a valid number it formats and reads back the national forms with the
// same precompiled metadata patterns as [Normalize]'s fast path, without
// libphonenumber's general parser; anything it cannot settle that way,
// and every error, goes through libphonenumber.
package phone
