package leadcall_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall"
)

// sliceSource is a CallSource over batches; a batch acknowledged with an error is delivered
// again, as a queue would.
type sliceSource struct {
	mu      sync.Mutex
	pending []*leadcall.Batch
	acked   map[string]leadcall.IngestStatus
	nacks   int
}

func (s *sliceSource) Next(ctx context.Context) (*leadcall.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil, io.EOF
	}
	b := s.pending[0]
	s.pending = s.pending[1:]
	return b, nil
}

func (s *sliceSource) Ack(_ context.Context, b *leadcall.Batch, results []leadcall.IngestResult, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.nacks++
		if s.nacks > 5 {
			return errors.New("giving up")
		}
		// Fix the batch's device (as an operator would) and deliver it again.
		b.DeviceID = "line"
		s.pending = append(s.pending, b)
		return nil
	}
	for _, r := range results {
		s.acked[r.ID] = r.Status
	}
	return nil
}

func TestRunFromCallSource(t *testing.T) {
	t.Parallel()
	h := simpleOrg(t, nil)
	now := h.clock.Now()
	src := &sliceSource{acked: map[string]leadcall.IngestStatus{}, pending: []*leadcall.Batch{
		{OrgID: "o1", DeviceID: "line", Calls: []leadcall.IncomingCall{
			{ID: "s1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-time.Minute)},
			{ID: "s2", Number: "9876512346", Type: "bogus", StartedAt: now.Add(-time.Minute)},
		}},
		{OrgID: "o1", DeviceID: "not-yet-registered", Calls: []leadcall.IncomingCall{
			{ID: "s3", Number: "9876512347", Type: "inbound", DurationS: 30, StartedAt: now.Add(-time.Minute)},
		}},
		{OrgID: "o1", DeviceID: "line", Calls: []leadcall.IncomingCall{
			{ID: "s1", Number: "9876512345", Type: "missed", StartedAt: now.Add(-time.Minute)},
		}},
	}}
	require.NoError(t, h.eng.Run(h.ctx, src))
	require.Equal(t, map[string]leadcall.IngestStatus{
		"s1": leadcall.IngestDuplicate, // the third batch re-sent it
		"s2": leadcall.IngestRejected,
		"s3": leadcall.IngestAccepted, // delivered again after the failed batch
	}, src.acked)
	require.Equal(t, 1, src.nacks, "the batch for an unknown device failed as a whole, once")
	h.waitIdle()
	require.Len(t, h.allCalls("o1"), 2)

	require.NoError(t, h.eng.Close())
	_, err := h.eng.Ingest(h.ctx, "o1", "line", nil)
	require.ErrorIs(t, err, leadcall.ErrClosed)
}
