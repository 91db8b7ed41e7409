package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	badger "github.com/dgraph-io/badger/v4"
)

// The snapshot format, version 1 (Snapshot, Restore, RestoreEtcd, and the
// etcd engine's checkpoints):
//
//	"reconcile-store-snapshot 1\n"
//	uvarint resourceVersion
//	records: uvarint len(key) > 0, key, uvarint len(value), value
//	uvarint 0 (the end of the records)
//	32 bytes: SHA-256 of everything before
//
// Keys are the store's own: "o/<Kind>/<namespace>/<name>" with the
// object's JSON, "m/<key>" with a side record's JSON, in key order. A
// snapshot is one consistent read of the store: every object and side
// record at one resourceVersion.
const snapshotMagic = "reconcile-store-snapshot 1\n"

// Snapshot writes every object and side record, and the resourceVersion
// they are at, to w (one read transaction: consistent).
//
// On etcd the read holds the view against a checkpoint load, which every
// other reader then waits behind (Store.view): it is written to a
// temporary file at the disk's pace and streamed to w after the view is
// let go, so a slow download cannot stall the store's readers.
func (s *Store) Snapshot(w io.Writer) (uint64, error) {
	if s.etcd == nil {
		var rv uint64
		err := s.db.View(func(txn *badger.Txn) error {
			var err error
			rv, err = writeSnapshot(txn, w)
			return err
		})
		return rv, err
	}
	tmp, err := os.CreateTemp("", "reconcile-snapshot-*")
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var rv uint64
	err = s.view(func(txn *badger.Txn) error {
		var err error
		rv, err = writeSnapshot(txn, tmp)
		return err
	})
	if err != nil {
		return 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if _, err := io.Copy(w, tmp); err != nil {
		return 0, err
	}
	return rv, nil
}

func writeSnapshot(txn *badger.Txn, w io.Writer) (uint64, error) {
	rv, err := readRV(txn)
	if err != nil {
		return 0, fmt.Errorf("snapshot: read resourceVersion: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 256<<10)
	var nb [binary.MaxVarintLen64]byte
	put := func(b []byte) { bw.Write(b) }
	uv := func(v uint64) { put(nb[:binary.PutUvarint(nb[:], v)]) }
	put([]byte(snapshotMagic))
	uv(rv)
	for _, prefix := range []string{"m/", "o/"} {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: []byte(prefix)})
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			uv(uint64(len(k)))
			put(k)
			err = it.Item().Value(func(v []byte) error {
				uv(uint64(len(v)))
				put(v)
				return nil
			})
			if err != nil {
				it.Close()
				return 0, fmt.Errorf("snapshot: read %s: %w", k, err)
			}
		}
		it.Close()
	}
	uv(0)
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	if _, err := w.Write(h.Sum(nil)); err != nil {
		return 0, fmt.Errorf("snapshot: write: %w", err)
	}
	return rv, nil
}

// snapshotReader reads a snapshot record by record, checking the hash at
// the end.
type snapshotReader struct {
	r  *bufio.Reader
	h  hash.Hash
	rv uint64
}

var errBadSnapshot = errors.New("not a reconcile store snapshot, or a damaged one")

func newSnapshotReader(r io.Reader) (*snapshotReader, error) {
	sr := &snapshotReader{r: bufio.NewReaderSize(r, 256<<10), h: sha256.New()}
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(sr.r, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("%w (header %q, want %q)", errBadSnapshot, bytes.TrimSpace(magic), snapshotMagic[:len(snapshotMagic)-1])
	}
	sr.h.Write(magic)
	var err error
	if sr.rv, err = sr.uvarint(); err != nil {
		return nil, err
	}
	return sr, nil
}

func (sr *snapshotReader) uvarint() (uint64, error) {
	v, err := binary.ReadUvarint(sr.r)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errBadSnapshot, err)
	}
	var nb [binary.MaxVarintLen64]byte
	sr.h.Write(nb[:binary.PutUvarint(nb[:], v)])
	return v, nil
}

func (sr *snapshotReader) chunk(n uint64) ([]byte, error) {
	if n > 1<<31 {
		return nil, fmt.Errorf("%w: a record of %d bytes", errBadSnapshot, n)
	}
	// Read without allocating n first: a damaged length must not
	// allocate gigabytes.
	b, err := io.ReadAll(io.LimitReader(sr.r, int64(n)))
	if err != nil || uint64(len(b)) != n {
		return nil, fmt.Errorf("%w: a record of %d bytes ends after %d (%v)", errBadSnapshot, n, len(b), err)
	}
	sr.h.Write(b)
	return b, nil
}

// next returns the next record; a nil key at the end, after the hash was
// checked.
func (sr *snapshotReader) next() (key, val []byte, err error) {
	n, err := sr.uvarint()
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		sum := make([]byte, sha256.Size)
		if _, err := io.ReadFull(sr.r, sum); err != nil {
			return nil, nil, fmt.Errorf("%w: no checksum: %v", errBadSnapshot, err)
		}
		if !bytes.Equal(sum, sr.h.Sum(nil)) {
			return nil, nil, fmt.Errorf("%w: checksum mismatch", errBadSnapshot)
		}
		return nil, nil, nil
	}
	if key, err = sr.chunk(n); err != nil {
		return nil, nil, err
	}
	if len(key) < 2 || (key[0] != 'o' && key[0] != 'm') || key[1] != '/' {
		return nil, nil, fmt.Errorf("%w: unexpected key %q", errBadSnapshot, key)
	}
	if n, err = sr.uvarint(); err != nil {
		return nil, nil, err
	}
	val, err = sr.chunk(n)
	return key, val, err
}

// RestoreRVBump is how far a restore moves the resourceVersion past the
// snapshot's, as etcdutl's `snapshot restore --bump-revision
// --mark-compacted`: a client that watched up to rv X before the restore
// of an older snapshot (rv S < X) would otherwise wait for events after X
// and never see those between S and X. With the restored store at S plus
// far more writes than happen between a snapshot and its restore, every
// resourceVersion from before is older than the history (watch answers
// 410 Gone) and every client lists again. Only restores bump: loading a
// checkpoint during normal operation keeps the checkpoint's
// resourceVersion.
const RestoreRVBump = 1_000_000_000

// loadSnapshot writes the snapshot's records into db, which must be
// empty, and its resourceVersion plus bump (0, or RestoreRVBump for a
// restore); extra (may be nil) adds more keys.
// The hash is checked before the resourceVersion is written, so a damaged
// snapshot leaves a store without a resourceVersion, which loadSnapshot's
// callers wipe.
func loadSnapshot(db *badger.DB, r io.Reader, bump uint64, extra map[string][]byte) (uint64, error) {
	sr, err := newSnapshotReader(r)
	if err != nil {
		return 0, err
	}
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	for {
		k, v, err := sr.next()
		if err != nil {
			return 0, err
		}
		if k == nil {
			break
		}
		if err := wb.Set(k, v); err != nil {
			return 0, fmt.Errorf("restore %s: %w", k, err)
		}
	}
	rv := sr.rv + bump
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], rv)
	if err := wb.Set(rvKey, b[:]); err != nil {
		return 0, err
	}
	for k, v := range extra {
		if err := wb.Set([]byte(k), v); err != nil {
			return 0, err
		}
	}
	if err := wb.Flush(); err != nil {
		return 0, fmt.Errorf("restore: write: %w", err)
	}
	return rv, nil
}

// rebaseSnapshot is snap (checked whole by the caller) with its
// resourceVersion replaced by rv and the checksum recomputed: the records
// are unchanged.
func rebaseSnapshot(snap []byte, oldRV, rv uint64) []byte {
	var nb [binary.MaxVarintLen64]byte
	body := snap[len(snapshotMagic)+binary.PutUvarint(nb[:], oldRV) : len(snap)-sha256.Size]
	out := make([]byte, 0, len(snap)+binary.MaxVarintLen64)
	out = append(out, snapshotMagic...)
	out = append(out, nb[:binary.PutUvarint(nb[:], rv)]...)
	out = append(out, body...)
	sum := sha256.Sum256(out)
	return append(out, sum[:]...)
}

// Restore creates the Badger store in dir (absent or empty) from a
// snapshot written by Snapshot, at the snapshot's resourceVersion plus
// RestoreRVBump. Watches start over: the history is empty and starts at
// the new resourceVersion, so a watch from any resourceVersion of before
// is ErrGone.
func Restore(r io.Reader, dir string, o Options) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("restore into %s: the directory is not empty; restore into a new directory (move the old store away first)", dir)
	}
	st, err := OpenWith(dir, o)
	if err != nil {
		return err
	}
	_, err = loadSnapshot(st.db, r, RestoreRVBump, nil)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("restore into %s: %w (nothing restored)", dir, err)
	}
	return nil
}
