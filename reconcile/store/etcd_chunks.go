package store

import (
	"encoding/json"
	"errors"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// chunkRef names the parts of a value written in several requests: keys
// Prefix + 000000, 000001, …; Len is their total size.
type chunkRef struct {
	Prefix string `json:"prefix"`
	N      int    `json:"n"`
	Len    int    `json:"len"`
}

func (r chunkRef) encode() []byte { b, _ := json.Marshal(r); return b }

// errChunksGone: a referenced part is missing (trimmed after a newer
// checkpoint): the reader loads that checkpoint instead.
var errChunksGone = errors.New("parts of a store log entry are gone")

// putChunks writes data in parts of at most ChunkBytes, one request each:
// invisible to every view until an entry names them.
func (s *Store) putChunks(prefix string, data []byte) (int, error) {
	e := s.etcd
	n := 0
	for off := 0; off < len(data) || n == 0; off += e.o.ChunkBytes {
		if err := e.fail("chunk"); err != nil {
			return 0, err
		}
		part := data[off:min(off+e.o.ChunkBytes, len(data))]
		ctx, cancel := e.ctx()
		_, err := e.cli.Put(ctx, fmt.Sprintf("%s%06d", prefix, n), string(part))
		cancel()
		if err != nil {
			s.dropChunks(prefix)
			return 0, fmt.Errorf("store on etcd: write part %d of an entry (%d bytes): %w", n, len(data), err)
		}
		n++
	}
	return n, nil
}

// dropChunks deletes parts no entry names (best effort: orphans left
// here are trimmed with the log, etcd_checkpoint.go).
func (s *Store) dropChunks(prefix string) {
	if prefix == "" {
		return
	}
	ctx, cancel := s.etcd.ctx()
	s.etcd.cli.Delete(ctx, prefix, clientv3.WithPrefix())
	cancel()
}

// fetchChunks reads the parts of ref back into one value.
func (e *etcdLog) fetchChunks(ref chunkRef) ([]byte, error) {
	out := make([]byte, 0, ref.Len)
	from := ref.Prefix
	end := clientv3.GetPrefixRangeEnd(ref.Prefix)
	got := 0
	for got < ref.N {
		ctx, cancel := e.ctx()
		r, err := e.cli.Get(ctx, from, clientv3.WithRange(end), clientv3.WithLimit(16))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("read the parts under %s: %w", ref.Prefix, err)
		}
		if len(r.Kvs) == 0 {
			break
		}
		for _, kv := range r.Kvs {
			if string(kv.Key) != fmt.Sprintf("%s%06d", ref.Prefix, got) {
				return nil, fmt.Errorf("%w: %s (want part %d)", errChunksGone, kv.Key, got)
			}
			out = append(out, kv.Value...)
			got++
		}
		from = string(r.Kvs[len(r.Kvs)-1].Key) + "\x00"
	}
	if got != ref.N || len(out) != ref.Len {
		return nil, fmt.Errorf("%w: %s has %d of %d parts, %d of %d bytes", errChunksGone, ref.Prefix, got, ref.N, len(out), ref.Len)
	}
	return out, nil
}
