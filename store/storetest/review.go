package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
	"github.com/leadcall/leadcall/crm"
)

func reviewTests() []test {
	return []test{
		{"Review/ListFiltersAndPaging", testReviewList},
		{"Review/ListBadInput", testReviewListBadInput},
		{"Review/ResolveEnqueues", testReviewResolveEnqueues},
		{"Review/ResolveIgnore", testReviewResolveIgnore},
		{"Review/ResolveAtomic", testReviewResolveAtomic},
		{"Review/ResolveRefused", testReviewResolveRefused},
	}
}

// reviewed inserts a call with an open review item of kind and returns both.
func (e *env) reviewed(orgID, deviceID, id string, kind leadcall.ReviewKind) (*leadcall.Call, *leadcall.ReviewItem) {
	e.t.Helper()
	c := newCall(deviceID, id, number(len(id)), base)
	c.SyncStatus = leadcall.SyncReview
	r := &leadcall.ReviewItem{Kind: kind, NumberE164: c.NumberE164, Candidates: []leadcall.Candidate{{Module: crm.ModuleLeads, ID: "L-" + id, Name: id}}}
	res := e.insert(orgID, leadcall.NewCall{Call: c, Review: r})
	require.True(e.t, res.Inserted[0])
	return c, r
}

func reviewIDs(items []leadcall.ReviewItem) []int64 {
	out := make([]int64, len(items))
	for i, r := range items {
		out[i] = r.ID
	}
	return out
}

func testReviewList(t *testing.T, e *env) {
	kinds := []leadcall.ReviewKind{leadcall.ReviewDuplicateLead, leadcall.ReviewAmbiguous, leadcall.ReviewInvalidNumber, leadcall.ReviewFailed}
	var items []*leadcall.ReviewItem
	for i := range 7 {
		_, r := e.reviewed(e.org, e.dev, fmt.Sprintf("c-%d", i), kinds[i%len(kinds)])
		items = append(items, r)
	}
	e.createOrg("org-b", 0)
	e.createDevice("org-b", "dev-b")
	_, other := e.reviewed("org-b", "dev-b", "b", leadcall.ReviewAmbiguous)
	_, err := e.st.ReviewItem(e.ctx, e.org, other.ID)
	requireCode(t, err, leadcall.CodeNotFound, "another org's item")

	got, err := e.st.ReviewItem(e.ctx, e.org, items[2].ID)
	require.NoError(t, err)
	requireDiff(t, items[2], got, "stored item")

	var all []int64
	cursor := ""
	for range 5 {
		page, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		all = append(all, reviewIDs(page.Items)...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Empty(t, cursor, "paging ends")
	var want []int64
	for i := len(items) - 1; i >= 0; i-- {
		want = append(want, items[i].ID)
	}
	require.Equal(t, want, all, "newest first, every item once, none from another org")

	_, _, err = e.st.ResolveReview(e.ctx, &leadcall.ResolveReviewParams{OrgID: e.org, ID: items[0].ID,
		Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore, By: "m"}, CallOutcome: leadcall.OutcomeIgnored})
	require.NoError(t, err)

	list := func(f leadcall.ReviewFilter) []int64 {
		t.Helper()
		f.OrgID = e.org
		page, err := e.st.ListReview(e.ctx, &f)
		require.NoError(t, err)
		return reviewIDs(page.Items)
	}
	require.Equal(t, []int64{items[0].ID}, list(leadcall.ReviewFilter{Status: leadcall.ReviewResolved}))
	require.Equal(t, want[:len(want)-1], list(leadcall.ReviewFilter{Status: leadcall.ReviewOpen}))
	require.Equal(t, []int64{items[5].ID, items[1].ID}, list(leadcall.ReviewFilter{Kinds: []leadcall.ReviewKind{leadcall.ReviewAmbiguous}}))
	require.Equal(t, []int64{items[4].ID}, list(leadcall.ReviewFilter{Status: leadcall.ReviewOpen, Kinds: []leadcall.ReviewKind{leadcall.ReviewDuplicateLead}}))
}

func testReviewListBadInput(t *testing.T, e *env) {
	for i := range 3 {
		e.reviewed(e.org, e.dev, fmt.Sprintf("c-%d", i), leadcall.ReviewAmbiguous)
	}
	page, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, page.NextCursor)
	calls, err := e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, calls.NextCursor)

	for name, cursor := range map[string]string{
		"not base64":     "%%%",
		"a calls cursor": calls.NextCursor,
		"sql":            "1; DROP TABLE review_items",
		"huge":           string(make([]byte, 1<<16)),
		"truncated":      page.NextCursor[:2],
	} {
		_, err := e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, Cursor: cursor})
		requireCode(t, err, leadcall.CodeInvalid, "cursor %s", name)
	}
	_, err = e.st.ListCalls(e.ctx, &leadcall.CallFilter{OrgID: e.org, Cursor: page.NextCursor})
	requireCode(t, err, leadcall.CodeInvalid, "a review cursor in ListCalls")
	_, err = e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, Status: "pending"})
	requireCode(t, err, leadcall.CodeInvalid, "unknown status")
	_, err = e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org, Limit: -5})
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = e.st.ListReview(e.ctx, nil)
	requireCode(t, err, leadcall.CodeInvalid)
	_, err = e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: "nope"})
	requireCode(t, err, leadcall.CodeNotFound)

	page, err = e.st.ListReview(e.ctx, &leadcall.ReviewFilter{OrgID: e.org})
	require.NoError(t, err)
	require.Len(t, page.Items, 3, "nothing was harmed")
}

func testReviewResolveEnqueues(t *testing.T, e *env) {
	c, r := e.reviewed(e.org, e.dev, "c-1", leadcall.ReviewDuplicateLead)
	at := claimTime.Add(time.Minute)
	item, evs, err := e.st.ResolveReview(e.ctx, &leadcall.ResolveReviewParams{
		OrgID: e.org, ID: r.ID,
		Resolution: leadcall.Resolution{Action: leadcall.ActionLogTo, RecordID: "L-c-1", By: "manager", At: at},
		Enqueue:    &leadcall.EnqueueParams{Mode: leadcall.ModeLogTo, TargetModule: crm.ModuleLeads, TargetID: "L-c-1", Now: at},
	})
	require.NoError(t, err)
	require.Equal(t, leadcall.ReviewResolved, item.Status)
	requireDiff(t, &leadcall.Resolution{Action: leadcall.ActionLogTo, RecordID: "L-c-1", By: "manager", At: at}, item.Resolution, "resolution")
	stored, err := e.st.ReviewItem(e.ctx, e.org, r.ID)
	require.NoError(t, err)
	requireDiff(t, item, stored, "stored resolved item")

	require.Equal(t, []leadcall.EventType{leadcall.EventReviewResolved}, eventTypes(evs))
	require.Equal(t, c.ID, evs[0].CallID)
	requireDiff(t, *item, decode[leadcall.ReviewItem](t, evs[0]), "review.resolved data")
	all := e.events(e.org)
	requireDiff(t, evs[0], all[len(all)-1], "stored event", eventData)

	require.Equal(t, leadcall.SyncPending, e.call(e.org, c.ID).SyncStatus)
	j := e.claimOne(at)
	require.Equal(t, c.ID, j.CallID)
	require.Equal(t, leadcall.ModeLogTo, j.Mode)
	require.Equal(t, crm.ModuleLeads, j.TargetModule)
	require.Equal(t, "L-c-1", j.TargetID)

	_, _, err = e.st.ResolveReview(e.ctx, &leadcall.ResolveReviewParams{OrgID: e.org, ID: r.ID,
		Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore}})
	requireCode(t, err, leadcall.CodeConflict, "already resolved")
}

func testReviewResolveIgnore(t *testing.T, e *env) {
	c, r := e.reviewed(e.org, e.dev, "c-1", leadcall.ReviewAmbiguous)
	item, evs, err := e.st.ResolveReview(e.ctx, &leadcall.ResolveReviewParams{OrgID: e.org, ID: r.ID,
		Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore, By: "m"}, CallOutcome: leadcall.OutcomeIgnored})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	require.False(t, item.Resolution.At.IsZero(), "a zero At is filled in")
	got := e.call(e.org, c.ID)
	require.Equal(t, leadcall.SyncNone, got.SyncStatus)
	require.Equal(t, leadcall.OutcomeIgnored, got.Outcome)
	require.Empty(t, e.claim(claimTime, 10), "ignoring enqueues nothing")
}

func testReviewResolveAtomic(t *testing.T, e *env) {
	c := newCall(e.dev, "c-1", number(1), base)
	r := &leadcall.ReviewItem{Kind: leadcall.ReviewFailed}
	e.insert(e.org, leadcall.NewCall{Call: c, Enqueue: true, Review: r})
	before := len(e.events(e.org))

	_, _, err := e.st.ResolveReview(e.ctx, &leadcall.ResolveReviewParams{OrgID: e.org, ID: r.ID,
		Resolution: leadcall.Resolution{Action: leadcall.ActionRetry}, Enqueue: &leadcall.EnqueueParams{Now: claimTime}})
	requireCode(t, err, leadcall.CodeConflict, "the call already has an active job")
	item, err := e.st.ReviewItem(e.ctx, e.org, r.ID)
	require.NoError(t, err)
	require.Equal(t, leadcall.ReviewOpen, item.Status, "the failed enqueue rolls the resolution back")
	require.Nil(t, item.Resolution)
	require.Len(t, e.events(e.org), before, "and appends no event")
}

func testReviewResolveRefused(t *testing.T, e *env) {
	_, r := e.reviewed(e.org, e.dev, "c-1", leadcall.ReviewAmbiguous)
	e.createOrg("org-b", 0)
	for name, p := range map[string]*leadcall.ResolveReviewParams{
		"nil":          nil,
		"no action":    {OrgID: e.org, ID: r.ID},
		"bad action":   {OrgID: e.org, ID: r.ID, Resolution: leadcall.Resolution{Action: "shrug"}},
		"both":         {OrgID: e.org, ID: r.ID, Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore}, CallOutcome: leadcall.OutcomeIgnored, Enqueue: &leadcall.EnqueueParams{}},
		"bad enqueue":  {OrgID: e.org, ID: r.ID, Resolution: leadcall.Resolution{Action: leadcall.ActionLogTo}, Enqueue: &leadcall.EnqueueParams{Mode: leadcall.ModeLogTo}},
		"enqueue org":  {OrgID: e.org, ID: r.ID, Resolution: leadcall.Resolution{Action: leadcall.ActionRetry}, Enqueue: &leadcall.EnqueueParams{OrgID: "org-b"}},
		"enqueue call": {OrgID: e.org, ID: r.ID, Resolution: leadcall.Resolution{Action: leadcall.ActionRetry}, Enqueue: &leadcall.EnqueueParams{CallID: r.CallID + 1}},
	} {
		_, _, err := e.st.ResolveReview(e.ctx, p)
		requireCode(t, err, leadcall.CodeInvalid, name)
	}
	for name, p := range map[string]*leadcall.ResolveReviewParams{
		"unknown":   {OrgID: e.org, ID: r.ID + 100, Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore}},
		"other org": {OrgID: "org-b", ID: r.ID, Resolution: leadcall.Resolution{Action: leadcall.ActionIgnore}},
	} {
		_, _, err := e.st.ResolveReview(e.ctx, p)
		requireCode(t, err, leadcall.CodeNotFound, name)
	}
	item, err := e.st.ReviewItem(e.ctx, e.org, r.ID)
	require.NoError(t, err)
	require.Equal(t, leadcall.ReviewOpen, item.Status)
}
