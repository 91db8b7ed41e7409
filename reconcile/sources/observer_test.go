package sources

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

type commitLog struct {
	mu      sync.Mutex
	fetches int
	commits []string // "source result errors"
}

func (l *commitLog) Fetched(string, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fetches++
}

func (l *commitLog) CommitDone(source, result string, _ time.Duration, errors int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.commits = append(l.commits, fmt.Sprintf("%s %s %d", source, result, errors))
}

// A good commit is reported applied, an invalid one invalid with its
// error count; every fetch is reported.
func TestObserverSeesFetchesAndCommits(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	good := repo.Commit("good")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}, Prune: true})
	obs := &commitLog{}
	h.m.SetObserver(obs)
	h.run()
	h.waitStatus("apps", "good commit applied", func(s Status) bool { return s.LastAppliedCommit == good })
	repo.Write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\n")
	bad := repo.Commit("bad")
	h.waitStatus("apps", "bad commit refused", func(s Status) bool { return s.LastAttemptedCommit == bad })
	testkit.Eventually(t, 20*time.Second, "two commits reported", func() error {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		if want := []string{"apps applied 0", "apps invalid 1"}; !slices.Equal(obs.commits, want) || obs.fetches < 2 {
			return fmt.Errorf("commits %q (want %q), %d fetches", obs.commits, want, obs.fetches)
		}
		return nil
	})
}
