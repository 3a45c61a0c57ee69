package leadcall

import (
	"context"
	"time"
)

// DefaultCallPage is the ListCalls page size EachCall uses when f.Limit is zero.
const DefaultCallPage = 1000

// EachCall pages through the calls matching f with st.ListCalls (newest first, pages of
// f.Limit, default DefaultCallPage) and calls fn with each, until fn returns false or an
// error, which EachCall returns. f.Cursor is where it starts; f is not modified. Pages end
// whenever fn returns: a caller that writes as it goes (a CSV download) may flush per page
// through pageDone, which may be nil.
func EachCall(ctx context.Context, st Store, f CallFilter, fn func(*Call) (more bool, err error), pageDone func() error) error {
	if f.Limit == 0 {
		f.Limit = DefaultCallPage
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := st.ListCalls(ctx, &f)
		if err != nil {
			return err
		}
		for i := range page.Items {
			more, err := fn(&page.Items[i])
			if err != nil || !more {
				return err
			}
		}
		if pageDone != nil {
			if err := pageDone(); err != nil {
				return err
			}
		}
		if page.NextCursor == "" || len(page.Items) == 0 {
			return nil
		}
		f.Cursor = page.NextCursor
		// The cursor alone leaves the store an OR condition that SQLite cannot use as an index
		// bound, so every page would rescan from the newest call. An upper bound on started_at
		// just past the page's last call selects the same rows and starts the scan there.
		if bound := page.Items[len(page.Items)-1].StartedAt.Add(time.Millisecond); f.To.IsZero() || bound.Before(f.To) {
			f.To = bound
		}
	}
}
