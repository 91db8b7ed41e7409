package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// logOp is one Badger write of a transaction, as captured for the log:
// the views replay a transaction's ops in order, in one Badger
// transaction each (etcd_apply.go).
type logOp struct {
	del bool
	// ev is the watch event of an object write (Added, Modified, Deleted);
	// "" for side records and the resourceVersion counter.
	ev  EventType
	key []byte
	// val is the value written; for an object's deletion the 8-byte
	// resourceVersion of its Deleted event.
	val []byte
}

// The encoding of one log entry (version 1): "RLE1", the number of ops,
// then per op a flags byte (bit 0 delete; bits 1-2 the event: 1 Added, 2
// Modified, 3 Deleted), the key and the value, each as a uvarint length
// and bytes. Binary, not JSON: objects are JSON already and base64 would
// add a third.
const entryMagic = "RLE1"

var evCodes = map[EventType]byte{"": 0, Added: 1, Modified: 2, Deleted: 3}
var evNames = [4]EventType{"", Added, Modified, Deleted}

func encodeEntry(ops []logOp) []byte {
	n := len(entryMagic) + binary.MaxVarintLen64
	for _, op := range ops {
		n += 1 + 2*binary.MaxVarintLen64 + len(op.key) + len(op.val)
	}
	b := make([]byte, 0, n)
	b = append(b, entryMagic...)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		f := evCodes[op.ev] << 1
		if op.del {
			f |= 1
		}
		b = append(b, f)
		b = binary.AppendUvarint(b, uint64(len(op.key)))
		b = append(b, op.key...)
		b = binary.AppendUvarint(b, uint64(len(op.val)))
		b = append(b, op.val...)
	}
	return b
}

var errCorruptEntry = errors.New("corrupt store log entry")

func decodeEntry(b []byte) ([]logOp, error) {
	if len(b) < len(entryMagic) || string(b[:len(entryMagic)]) != entryMagic {
		return nil, fmt.Errorf("%w: no %q header (written by a newer reconcile?)", errCorruptEntry, entryMagic)
	}
	r := byteReader{b: b[len(entryMagic):]}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(b)) {
		return nil, errCorruptEntry
	}
	ops := make([]logOp, 0, n)
	for range n {
		f := r.byte()
		op := logOp{del: f&1 == 1, ev: evNames[(f>>1)&3]}
		op.key = r.bytes()
		op.val = r.bytes()
		if r.err != nil {
			return nil, fmt.Errorf("%w: %v", errCorruptEntry, r.err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// byteReader reads the uvarint-prefixed encoding; the first error sticks.
type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("truncated length")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		if r.err == nil {
			r.err = errors.New("truncated")
		}
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}
