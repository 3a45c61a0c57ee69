package attribution

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestSlotLayout guards the size the lookup speed depends on (see fenceCount): a slot of
// the Index's hash table fills exactly two cache lines.
func TestSlotLayout(t *testing.T) {
	t.Parallel()
	require.Equal(t, uintptr(128), unsafe.Sizeof(slot{}), "adjust fenceCount")
}
