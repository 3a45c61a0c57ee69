package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeCalls feeds arbitrary bodies to the device upload decoder: it must never panic,
// and every refusal is a 4xx with a message.
func FuzzDecodeCalls(f *testing.F) {
	for _, seed := range []string{
		`{"calls":[{"id":"c1","number":"+919876543210","type":"missed","started_at":"2026-11-22T10:00:00Z","duration_s":0,"sim_slot":0,"sim_number":""}]}`,
		`{"calls":[]}`, `{}`, `null`, `[]`, `{"calls":[{"id":"a\u0000"}]}`, `{"calls":[{"extra":1}]}`,
		`{"calls":[{"duration_s":1e400}]}`, `{"calls":[{"started_at":"2026-02-30T00:00:00Z"}]}`,
		"{\"calls\":[{\"id\":\"\xff\"}]}", `{"calls":[]}{}`, strings.Repeat("[", 100),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req CallsRequest
		err := decodeBytes(body, &req)
		if err == nil {
			for _, c := range req.Calls {
				require.NotContains(t, c.ID+c.Number+c.Type+c.SIMNumber, "\x00")
			}
			return
		}
		var he *httpError
		require.True(t, errors.As(err, &he), "%T %v", err, err)
		require.GreaterOrEqual(t, he.status, 400)
		require.Less(t, he.status, 500)
		require.NotEmpty(t, he.detail.Message)
	})
}

func TestStatusTableCoversEveryCode(t *testing.T) {
	t.Parallel()
	for code, status := range statusOf {
		require.NotZero(t, status, code.String())
	}
	require.Len(t, statusOf, 10, "a new leadcall code needs a row in statusOf and in the package doc")
}
