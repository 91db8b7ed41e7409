package gitsync

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchLocalSignalsOnCommit(t *testing.T) {
	r := newTestRepo(t)
	r.write("a.yaml", "v1\n")
	r.commit("c1")
	s := newSource(t, Config{URL: r.dir})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Watch(ctx)
	// The watch is set up asynchronously; a commit made before it is ready
	// would be missed, so commit until the first signal arrives.
	deadline := time.Now().Add(20 * time.Second)
	var c2 string
	for got := false; !got; {
		if time.Now().After(deadline) {
			t.Fatal("no signal after git commit within 20s")
		}
		r.write("a.yaml", "v2 "+time.Now().String()+"\n")
		c2 = r.commit("c2")
		select {
		case <-ch:
			got = true
		case <-time.After(500 * time.Millisecond):
		}
	}
	if snap := fetch(t, s); snap.Commit != c2 {
		t.Errorf("after signal: commit %s, want %s", snap.Commit, c2)
	}

	// A branch in a directory that did not exist when the watch started.
	drain(ch)
	r.git("branch", "team/feature")
	waitSignal(t, ch, "git branch team/feature")
	drain(ch)
	r.git("update-ref", "refs/heads/team/feature", r.git("rev-parse", "HEAD~1"))
	waitSignal(t, ch, "update-ref in a new ref directory")

	// Tags, HEAD switches and pack-refs are ref changes too.
	drain(ch)
	r.git("tag", "v1")
	waitSignal(t, ch, "git tag")
	drain(ch)
	r.git("checkout", "-q", "team/feature")
	waitSignal(t, ch, "git checkout")
	drain(ch)
	r.git("pack-refs", "--all")
	waitSignal(t, ch, "git pack-refs")

	cancel()
	for range ch { // closed when ctx ends
	}
}

func TestTriggerSignalsEveryWatcher(t *testing.T) {
	r := newTestRepo(t)
	r.commit("c1")
	for _, cfg := range []Config{
		{URL: r.dir},
		{URL: "file://" + r.dir, CacheDir: t.TempDir(), PollInterval: time.Hour},
	} {
		s := newSource(t, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		a, b := s.Watch(ctx), s.Watch(ctx)
		s.Trigger()
		s.Trigger() // coalesced into the pending signal, never blocks
		waitSignal(t, a, "Trigger, first watcher")
		waitSignal(t, b, "Trigger, second watcher")
		cancel()
		for range a {
		}
		for range b {
		}
		s.Trigger() // after the watchers are gone: a no-op, no panic
	}
}

func TestPollRemote(t *testing.T) {
	r := newTestRepo(t)
	r.commit("c1")
	s := newSource(t, Config{URL: "file://" + r.dir, CacheDir: t.TempDir(), PollInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := s.Watch(ctx)
	waitSignal(t, ch, "poll tick")
	waitSignal(t, ch, "second poll tick")
}

func TestRefEvent(t *testing.T) {
	git := "/r/.git"
	refs := filepath.Join(git, "refs")
	tops := map[string]bool{git: true}
	cases := []struct {
		name string
		want bool
	}{
		{git + "/HEAD", true},
		{git + "/packed-refs", true},
		{git + "/HEAD.lock", false},
		{git + "/index", false},
		{git + "/ORIG_HEAD", false},
		{git + "/objects/ab", false},
		{git + "/logs/HEAD", false},
		{refs + "/heads/main", true},
		{refs + "/heads/main.lock", false},
		{refs + "/heads/team/x", true},
		{refs + "/tags/v1", true},
		{refs + "/heads", true},
	}
	for _, c := range cases {
		if got := refEvent(tops, refs, c.name); got != c.want {
			t.Errorf("refEvent(%s) = %v, want %v", c.name, got, c.want)
		}
	}
}
