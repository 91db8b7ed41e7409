package store

import (
	"bytes"
	"reflect"
	"testing"
)

func TestEntryRoundTrip(t *testing.T) {
	ops := []logOp{
		{key: []byte("o/ConfigMap/default/a"), val: []byte(`{"data":{}}`), ev: Added},
		{key: []byte("o/ConfigMap/default/b"), val: rvBytes(7), ev: Deleted, del: true},
		{key: []byte("m/source/main"), val: []byte(`{}`)},
		{key: []byte("m/pin"), del: true, val: []byte{}},
		{key: rvKey, val: rvBytes(7)},
	}
	got, err := decodeEntry(encodeEntry(ops))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", got, ops)
	}
}

// Entries come from etcd, which anyone with its credentials can write:
// a damaged one is an error, never a panic.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry([]logOp{{key: []byte("o/ConfigMap/default/a"), val: []byte(`{}`), ev: Modified}}))
	f.Add([]byte("RLE1\xff\xff\xff\xff\x0f"))
	f.Add([]byte("RLE1\x01\x07\x05abc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := decodeEntry(b)
		if err == nil && !bytes.Equal(encodeEntry(ops), b) && len(ops) > 0 {
			if _, err := decodeEntry(encodeEntry(ops)); err != nil {
				t.Fatalf("re-encoded entry does not decode: %v", err)
			}
		}
	})
}

func FuzzSnapshotReader(f *testing.F) {
	var buf bytes.Buffer
	st, _ := OpenInMemory()
	st.Update(func(tx *Tx) error { return tx.Create(configMap("default", "a", nil)) })
	st.Snapshot(&buf)
	st.Close()
	f.Add(buf.Bytes())
	f.Add([]byte(snapshotMagic + "\x05\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sr, err := newSnapshotReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		for range 1000 {
			k, _, err := sr.next()
			if err != nil || k == nil {
				return
			}
		}
	})
}
