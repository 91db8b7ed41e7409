package schema

import (
	"fmt"
)

// Limits bound what one commit may hold, so that a repository cannot take
// the controller's memory and disk: every object is kept decoded in memory
// and in the store.
type Limits struct {
	// MaxObjectBytes bounds one object's JSON (1 MiB by default, about
	// what Kubernetes' etcd accepts in one request). Objects come from
	// files of at most MaxFileSize, so a larger value has no effect past
	// that.
	MaxObjectBytes int64
	// MaxCommitBytes bounds the sum of a commit's objects (64 MiB).
	MaxCommitBytes int64
	// MaxCommitObjects bounds how many objects a commit holds (10,000).
	MaxCommitObjects int
}

// The default limits.
const (
	DefaultMaxObjectBytes   = 1 << 20
	DefaultMaxCommitBytes   = 64 << 20
	DefaultMaxCommitObjects = 10_000
)

// DefaultLimits are the limits of NewValidator.
func DefaultLimits() Limits {
	return Limits{MaxObjectBytes: DefaultMaxObjectBytes, MaxCommitBytes: DefaultMaxCommitBytes, MaxCommitObjects: DefaultMaxCommitObjects}
}

// WithDefaults fills the zero fields of l with the defaults.
func (l Limits) WithDefaults() Limits { return l.Or(DefaultLimits()) }

// Or fills the fields of l that are not set (zero or less) from other: a
// flag wins over the config file, the config file over the defaults.
func (l Limits) Or(other Limits) Limits {
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = other.MaxObjectBytes
	}
	if l.MaxCommitBytes <= 0 {
		l.MaxCommitBytes = other.MaxCommitBytes
	}
	if l.MaxCommitObjects <= 0 {
		l.MaxCommitObjects = other.MaxCommitObjects
	}
	return l
}

// SetLimits changes the limits of later Validate calls (zero fields: the
// defaults).
func (v *Validator) SetLimits(l Limits) {
	v.mu.Lock()
	v.limits = l.WithDefaults()
	v.mu.Unlock()
}

// apply refuses, at its position, every object over the per-object limit,
// and the first object that takes the commit over its total size or object
// count. Any such error refuses the whole commit, like any other error.
func (l Limits) apply(res Result) Result {
	var total int64
	var n int
	bytesDone, countDone := false, false
	// In place: res is assemble's own (a copy was 1 MB of garbage per
	// 10,000-manifest commit).
	kept := res.Manifests[:0]
	for _, m := range res.Manifests {
		at := Error{Path: m.Path, Line: m.Line, Col: m.Col}
		if m.size > l.MaxObjectBytes {
			at.Message = fmt.Sprintf("%s is %s, over the limit of %s per object (as Kubernetes); keep large files out of ConfigMaps and Secrets "+
				"(use an image or a volume), or raise the limit (--max-object-bytes, limits.maxObjectBytes)", objectName(m), bytesText(m.size), bytesText(l.MaxObjectBytes))
			res.Errors = append(res.Errors, at)
			continue
		}
		total += m.size
		n++
		if total > l.MaxCommitBytes && !bytesDone {
			bytesDone = true
			at.Message = fmt.Sprintf("with %s the commit's objects reach %s, over the limit of %s per commit; split the repository into several sources, "+
				"or raise the limit (--max-commit-bytes, limits.maxCommitBytes)", objectName(m), bytesText(total), bytesText(l.MaxCommitBytes))
			res.Errors = append(res.Errors, at)
		}
		if n > l.MaxCommitObjects && !countDone {
			countDone = true
			at.Message = fmt.Sprintf("%s is object number %d of the commit, over the limit of %d objects per commit; split the repository into several sources, "+
				"or raise the limit (--max-commit-objects, limits.maxCommitObjects)", objectName(m), n, l.MaxCommitObjects)
			res.Errors = append(res.Errors, at)
		}
		kept = append(kept, m)
	}
	dropped := len(kept) < len(res.Manifests)
	res.Manifests = kept
	if dropped || bytesDone || countDone {
		sortErrors(res.Errors)
	}
	return res
}

func objectName(m Manifest) string {
	k := m.key
	if k.Kind == "" {
		return "the object"
	}
	return k.String()
}

// bytesText says a size in bytes and, when large, in MiB.
func bytesText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d bytes (%.1f MiB)", n, float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}
