package store

// fence is the condition a fenced view adds to every append: the
// election key still exists with the creation revision it had when this
// server was elected.
type fence struct {
	key string
	rev int64
}

// Fenced returns a view of the same store whose Update appends only while
// key exists with createRevision (the leader's election key:
// concurrency.Election's Key() and Rev()), in the same etcd transaction as
// the append, and fails with ErrFenced, writing nothing, once it does not.
// So a leader that lost its lease cannot write after another was elected.
// Reads, watches and Close are the shared store's. On Badger (one server)
// Fenced returns s.
func (s *Store) Fenced(key string, createRevision int64) *Store {
	if s.etcd == nil {
		return s
	}
	return &Store{core: s.core, fence: &fence{key: key, rev: createRevision}}
}
