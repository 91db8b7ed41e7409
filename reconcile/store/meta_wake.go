package store

// MetaChanged returns a channel closed by the next commit that writes or
// deletes a side record (a source's status, its history, a pin). Side
// records send no watch events; a client that shows them (the web UI's
// change stream) waits on this instead of polling. Call it again after
// each wake-up for the next one.
func (s *Store) MetaChanged() <-chan struct{} {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if s.metaWake == nil {
		s.metaWake = make(chan struct{})
	}
	return s.metaWake
}

func (s *Store) wakeMeta() {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if s.metaWake != nil {
		close(s.metaWake)
		s.metaWake = nil
	}
}
