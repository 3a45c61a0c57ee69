// Package report summarises an org's calls for managers: calls by campaign, Lead Source,
// device, rep or day, with answered and missed counts, first-time and repeat callers,
// missed-call recovery and what the CRM sync did.
//
// It is a feature package: it reads through the [leadcall.Store] interface only (ListCalls,
// ListReview, Devices, Reps, Assignment, Org) and computes in Go, so it works with every
// store. [Reporter.Summary] answers one [Query].
//
// # What is counted
//
// A report covers the calls that started in [Query.From, Query.To). Call metrics count
// inbound calls only (answered and missed; outbound calls are callbacks and feed recovery
// alone), and only those that are not ignored: spam on the blocked list, the org's own or
// internal numbers, private and unreadable numbers, answered calls below the minimum length,
// calls from deactivated devices and calls dated before a device enrolled are left out,
// so a report counts real callers. Inbound calls on sales-rep phones count like those on
// campaign phones. [Metrics.Ignored] tells how many inbound calls were left out.
//
//	Calls        answered + missed (inbound calls that are not ignored)
//	Answered     calls of type inbound
//	Missed       calls of type missed (rejected and voicemail included)
//	MissedRate   Missed / Calls; 0 without calls
//	FirstTime    calls that are the caller's first call to the org: no earlier counted
//	             inbound call from the same E.164 number on any device, neither in the
//	             range nor in the Config.FirstTimeLookback (default 365 days) before it.
//	             Earlier means an earlier start, or the same start and a lower call ID.
//	             Calls whose number could not be read are neither first-time nor repeat.
//	Repeat       counted calls from a caller who had called before (every counted call with
//	             a number that is not first-time), so FirstTime + Repeat = Calls.
//	Callers      distinct callers, a caller counted once per repeat window: a caller's
//	             call counts as a new caller unless the same caller's previous counted call
//	             in the same row started less than the repeat window before it. A call
//	             exactly one window after the previous one counts again; a caller who calls
//	             every hour with a 2-hour window is one caller all day. Every caller with a
//	             call in a row counts there at least once, whatever happened before the
//	             range. The window is [Query.RepeatWindow], or the org's
//	             rules.repeat_window_minutes (default 120 minutes); zero counts every call.
//
// Callers are counted per row and again for the totals, so the rows' callers need not add
// up to the totals' (one caller who rang two campaigns within the window is one caller in
// each campaign's row and one in the totals). Every other count adds up.
//
// # Recovery
//
// Recovery cases are built with package recovery ([recovery.Matcher.Build]) from the org's
// calls mapped by [leadcall.RecoveryCall], the same view the Engine and exports use: a case
// opens with a missed call on a campaign phone and is recovered by a connected callback
// from any device or an answered call from the caller. A case belongs to the report when its
// first missed call started in the range, and to the row of that first missed call (its
// campaign, Lead Source, device, the device's rep, its day), even when the callback came
// from another rep or after the range. Cases are evaluated as of Config.Now, so a case
// still inside its window is open or attempted, not expired.
//
//	Cases, Recovered          recovery cases of the row and how many were recovered
//	RecoveryRate              Recovered / Cases (open and attempted cases count as not yet
//	                          recovered); 0 without cases
//	MedianTimeToFirstAttempt  median time from a case's first miss to its first outbound
//	                          attempt, over the cases with an attempt
//	MedianTimeToConnect       median time from a case's first miss to its connection, over
//	                          the recovered cases
//
// The median of an even count is the mean of the two middle values; HasFirstAttempt and
// HasConnect say whether there was anything to take the median of. To see callbacks and
// earlier misses, the report also reads the calls of the Config.RecoveryWindow before the
// range and after it (up to Config.Now). A case whose misses chain back further than one
// window before the range (each miss restarting the window) may start inside the range in
// the report although it started earlier.
//
// # CRM outcomes
//
// Counted over every call of the row in the range, whatever its type or disposition:
//
//	NewLeads      calls whose sync created a Lead (outcome created_lead)
//	ContactLinks  calls logged to an existing Contact (outcome linked_contact)
//	ReviewItems   calls that raised a review item, open or resolved (duplicate_lead,
//	              ambiguous, invalid_number, failed); an unreadable number on a campaign
//	              phone is ignored yet raises one
//	Failures      calls whose sync failed (sync status failed)
//
// # Rows
//
// [GroupBy] chooses the rows. A call's row is:
//
//	campaign     its assignment (the campaign device's Lead Source and metadata over a span
//	             of time); key the assignment ID, "" for calls outside any assignment; label
//	             "Lead Source – Campaign (device nickname, from start)", the Campaign part
//	             from the metadata key "campaign" (any letter case) when there is one
//	lead_source  the Lead Source it was attributed with; "" for none
//	device       the device that made or took it; key the device ID, label its nickname
//	rep          the rep of its device when it was ingested; "" for none
//	day          the calendar day it started on in the org's time zone (settings
//	             time_zone), key "2006-01-02"; days follow the zone's clock, so a day when
//	             daylight saving time starts or ends has 23 or 25 hours
//
// Rows appear for groups with anything to show (a counted or ignored call, a case or a CRM
// outcome). Day rows are in date order; other rows by calls, most first, then label and key.
// [Query.DeviceIDs] restricts every row and the totals to calls on those devices (a rep's
// view), while callbacks from any device still recover their cases.
//
// # Cost
//
// The calls are read page by page through ListCalls. Memory holds per-row aggregates, one
// entry per caller (and per caller and row) for the first-time and repeat-window rules, the
// IDs of calls with review items, and a compact record of each call of the range that may
// take part in recovery (and, around the range, of those whose caller missed in it),
// because recovery matching needs all of one caller's calls at once.
//
// The first-time rule reads the history of the range's callers before it: one
// Store.CallsByNumber per caller when there are at most Config.FirstTimeLookups of them,
// else one scan of the org's inbound calls over the lookback, which stops as soon as every
// caller has been found. The recovery rule reads the calls of the recovery window before
// and after the range.
package report
