package crm_test

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leadcall/leadcall/crm"
)

// referenceKey computes a key the way crm documents it, independently of its code: SHA-256
// over the parts, each preceded by its length as 8 big-endian bytes, base32 without padding,
// lowercase, the first 26 characters.
func referenceKey(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		h.Write([]byte(p))
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil))
	return prefix + "_" + strings.ToLower(enc[:26])
}

func TestKeysFollowTheScheme(t *testing.T) {
	t.Parallel()
	require.Equal(t, referenceKey("lc1L", "org-1", "+919876543210"), crm.LeadKey("org-1", "+919876543210"))
	require.Equal(t, referenceKey("lc1C", "org-1", "dev-1", "call-42"), crm.CallKey("org-1", "dev-1", "call-42"))
	require.Equal(t, referenceKey("lc1T", "org-1", "dev-1", "call-42"), crm.TaskKey("org-1", "dev-1", "call-42"))
	// Keys are stored in CRMs: the scheme must never change under a version. This value was
	// computed outside Go (Python hashlib and base64) when the scheme was introduced.
	require.Equal(t, "lc1L_b4phv3d4iu5val7u5c6t4cf52h", crm.LeadKey("org-1", "+919876543210"))
}

func TestKeysAreDeterministicAndDistinct(t *testing.T) {
	t.Parallel()
	require.Equal(t, crm.LeadKey("o", "+1"), crm.LeadKey("o", "+1"))
	require.Equal(t, crm.CallKey("o", "d", "c"), crm.CallKey("o", "d", "c"))

	keys := map[string]string{
		"lead":               crm.LeadKey("org", "+919876543210"),
		"lead other org":     crm.LeadKey("org2", "+919876543210"),
		"lead other number":  crm.LeadKey("org", "+919876543211"),
		"call":               crm.CallKey("org", "dev", "c1"),
		"task same parts":    crm.TaskKey("org", "dev", "c1"),
		"call other device":  crm.CallKey("org", "dev2", "c1"),
		"call boundary ab|c": crm.CallKey("org", "ab", "c"),
		"call boundary a|bc": crm.CallKey("org", "a", "bc"),
		"lead boundary":      crm.LeadKey("orgdev", "c1"),
		"call empty parts":   crm.CallKey("", "", ""),
		"call empty middle":  crm.CallKey("org", "", "abc"),
		"call empty last":    crm.CallKey("org", "abc", ""),
	}
	seen := make(map[string]string)
	for name, k := range keys {
		require.True(t, crm.IsSyncKey(k), "%s: %q", name, k)
		if other, ok := seen[k]; ok {
			t.Fatalf("%s and %s share the key %s", name, other, k)
		}
		seen[k] = name
	}
	require.True(t, strings.HasPrefix(keys["lead"], "lc1L_"))
	require.True(t, strings.HasPrefix(keys["call"], "lc1C_"))
	require.True(t, strings.HasPrefix(keys["task same parts"], "lc1T_"))
}

func TestIsSyncKeyRejects(t *testing.T) {
	t.Parallel()
	good := crm.LeadKey("org", "+919876543210")
	for _, s := range []string{
		"",
		good[:len(good)-1],
		good + "a",
		strings.ToUpper(good),
		"lc1X" + good[4:],
		"lc2L" + good[4:],
		"lc1L-" + good[5:],
		good[:5] + "0" + good[6:], // 0, 1, 8 and 9 are not base32
		good[:5] + "1" + good[6:],
		good[:5] + "8" + good[6:],
		good[:5] + "A" + good[6:],
		good[:5] + "=" + good[6:],
		good[:5] + "é" + good[7:],
		"lc1L_" + strings.Repeat("a", 25) + "\x00",
		" " + good[1:],
	} {
		require.False(t, crm.IsSyncKey(s), "%q", s)
	}
	require.True(t, crm.IsSyncKey("lc1T_"+strings.Repeat("2", 26)))
	require.True(t, crm.IsSyncKey("lc1C_"+strings.Repeat("z", 26)))
}

// FuzzKeys checks the key properties for any bytes: the length prefixes make part boundaries
// unambiguous, NUL bytes included.
func FuzzKeys(f *testing.F) {
	f.Add("org", "dev", "call")
	f.Add("", "", "")
	f.Add("a", "\xff", "ünï")
	f.Add("org", "ab\x00", "c")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if b != "" && crm.CallKey(a, b, c) == crm.CallKey(a, b[:len(b)-1], b[len(b)-1:]+c) {
			t.Fatal("moving a part boundary right must change the key")
		}
		for _, k := range []string{crm.LeadKey(a, b), crm.CallKey(a, b, c), crm.TaskKey(a, b, c)} {
			if !crm.IsSyncKey(k) {
				t.Fatalf("key %q is not a sync key", k)
			}
		}
		if crm.CallKey(a, b, c) == crm.TaskKey(a, b, c) {
			t.Fatal("call and task keys collide")
		}
		if crm.CallKey(a, b, c) != crm.CallKey(a, b, c) {
			t.Fatal("not deterministic")
		}
		if b != "" && crm.CallKey(a, b, c) == crm.CallKey(a+b[:1], b[1:], c) {
			t.Fatal("moving a part boundary must change the key")
		}
	})
}

func FuzzIsSyncKey(f *testing.F) {
	f.Add(crm.LeadKey("o", "n"))
	f.Add("lc1L_")
	f.Add("lc1C_aaaaaaaaaaaaaaaaaaaaaaaaa\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if !crm.IsSyncKey(s) {
			return
		}
		if len(s) != 31 || s[4] != '_' {
			t.Fatalf("accepted %q of the wrong shape", s)
		}
		if p := s[:4]; p != "lc1L" && p != "lc1C" && p != "lc1T" {
			t.Fatalf("accepted prefix %q", p)
		}
		if strings.Trim(s[5:], "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("accepted characters outside lowercase base32 in %q", s)
		}
	})
}
