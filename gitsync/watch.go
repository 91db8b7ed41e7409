package gitsync

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long after a signal further ref events are folded into
// one trailing signal. git writes several files per commit (the ref via a
// .lock rename, HEAD's reflog, packed-refs on gc); the first event signals at
// once, so this adds no latency to the first fetch.
const debounce = 30 * time.Millisecond

// localPollInterval is how often a local repo is polled when fsnotify cannot
// be used (e.g. the inotify watch limit is reached).
const localPollInterval = time.Second

// Watch returns a channel that receives a value whenever the ref may have
// moved: at once after a ref change of a local repo (fsnotify), every
// PollInterval for a remote one, and on Trigger. A signal is a hint to call
// Fetch; signals are coalesced (buffer 1, never blocking the producer). The
// channel is closed when ctx ends.
func (s *Source) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.subsMu.Lock()
	s.subs[ch] = struct{}{}
	s.subsMu.Unlock()
	go func() {
		defer func() {
			s.subsMu.Lock()
			delete(s.subs, ch)
			s.subsMu.Unlock()
			close(ch)
		}()
		if s.local == nil {
			s.tick(ctx, ch, s.cfg.PollInterval)
			return
		}
		if err := watchRefs(ctx, ch, s.local); err != nil {
			s.pollLocal(ctx, ch)
		}
	}()
	return ch
}

// Trigger makes every Watch channel fire now (`reconcile sync`).
func (s *Source) Trigger() {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for ch := range s.subs {
		signal(ch)
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default: // a signal is already pending; one fetch will see this change too
	}
}

func (s *Source) tick(ctx context.Context, ch chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	s.nextPoll.Store(time.Now().Add(every).UnixNano())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.nextPoll.Store(now.Add(every).UnixNano())
			signal(ch)
		}
	}
}

// NextPoll is when a remote source is polled next; zero for a local
// source (watched, not polled) and before Watch runs.
func (s *Source) NextPoll() time.Time {
	n := s.nextPoll.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// pollLocal is the fallback without fsnotify: it compares the resolved ref
// every second and signals when it changed.
func (s *Source) pollLocal(ctx context.Context, ch chan struct{}) {
	last := ""
	t := time.NewTicker(localPollInterval)
	defer t.Stop()
	for {
		s.fetchMu.Lock()
		c, err := s.local.resolve(s.cfg.Ref)
		s.fetchMu.Unlock()
		cur := "error"
		if err == nil {
			cur = c.Hash.String()
		}
		if last != "" && cur != last {
			signal(ch)
		}
		last = cur
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchRefs watches HEAD, packed-refs and every directory under refs/ of a
// local repo, and signals on any change of a ref. It returns an error only if
// the watch cannot be set up; it returns nil when ctx ends.
func watchRefs(ctx context.Context, ch chan struct{}, l *localRepo) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	tops := map[string]bool{l.gitDir: true, l.commonDir: true}
	for dir := range tops {
		if err := w.Add(dir); err != nil {
			return err
		}
	}
	refsDir := filepath.Join(l.commonDir, "refs")
	if err := addTree(w, refsDir); err != nil {
		return err
	}

	var (
		timer   *time.Timer
		timerC  <-chan time.Time
		pending bool
	)
	fire := func() {
		if timerC == nil {
			signal(ch)
			timer = time.NewTimer(debounce)
			timerC = timer.C
			return
		}
		pending = true
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timerC:
			if pending {
				pending = false
				signal(ch)
				timer.Reset(debounce)
			} else {
				timerC = nil
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			_ = err // an overflow lost events: a fetch finds out what changed
			fire()
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Has(fsnotify.Create) && isUnder(refsDir, ev.Name) {
				// A new directory (refs/heads/feature/...) needs its own watch;
				// refs written in it before the watch exists are covered by
				// signalling now.
				_ = addTree(w, ev.Name)
			}
			if refEvent(tops, refsDir, ev.Name) {
				fire()
			}
		}
	}
}

// refEvent tells ref changes from the rest of .git (index, objects, logs).
// Lock files are skipped: git writes "x.lock" and renames it to "x", which
// arrives as a Create of "x".
func refEvent(tops map[string]bool, refsDir, name string) bool {
	base := filepath.Base(name)
	if strings.HasSuffix(base, ".lock") {
		return false
	}
	if isUnder(refsDir, name) {
		return true
	}
	if tops[filepath.Dir(name)] {
		return base == "HEAD" || base == "packed-refs"
	}
	return false
}

func isUnder(dir, name string) bool {
	return name == dir || strings.HasPrefix(name, dir+string(filepath.Separator))
}

// addTree watches dir and every directory below it (inotify is not recursive).
func addTree(w *fsnotify.Watcher, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // vanished while walking
		}
		if d.IsDir() {
			return w.Add(p)
		}
		return nil
	})
}
