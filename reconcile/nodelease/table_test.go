package nodelease

import (
	"errors"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// countingStore counts write transactions and can fail them.
type countingStore struct {
	*store.Store
	updates int
	fail    error
}

func (c *countingStore) Update(fn func(tx *store.Tx) error) error {
	c.updates++
	if c.fail != nil {
		return c.fail
	}
	return c.Store.Update(fn)
}

func openStore(t *testing.T) *countingStore {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &countingStore{Store: st}
}

func TestFlushWritesChangedLeasesInOneTransaction(t *testing.T) {
	st := openStore(t)
	tab := NewTable()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tab.Renew("a", t0)
	tab.Renew("b", t0)
	tab.Renew("a", t0.Add(time.Second)) // the newer renewal wins
	if n, err := tab.Flush(st); err != nil || n != 2 || st.updates != 1 {
		t.Fatalf("first flush: wrote %d in %d transactions, err %v; want 2 in 1", n, st.updates, err)
	}
	r := Reader{Store: st}
	if got, ok := r.RenewTime("a"); !ok || !got.Equal(t0.Add(time.Second)) {
		t.Errorf("lease a = %v, %v; want %v", got, ok, t0.Add(time.Second))
	}
	if _, ok := r.RenewTime("ghost"); ok {
		t.Error("a node that never renewed has a lease")
	}
	if n, err := tab.Flush(st); err != nil || n != 0 || st.updates != 1 {
		t.Fatalf("flush with nothing renewed: wrote %d in %d transactions (err %v); want no transaction", n, st.updates-1, err)
	}
	tab.Renew("b", t0.Add(10*time.Second))
	if n, _ := tab.Flush(st); n != 1 {
		t.Fatalf("after one renewal the flush wrote %d leases, want 1", n)
	}
	var l Lease
	if ok, _ := st.GetMeta(Key("b"), &l); !ok || l.HolderIdentity != "b" || l.LeaseDurationSeconds != DefaultDurationSeconds || !l.RenewTime.Equal(t0.Add(10*time.Second)) {
		t.Errorf("stored lease of b = %+v", l)
	}
}

func TestFailedFlushKeepsRenewals(t *testing.T) {
	st := openStore(t)
	tab := NewTable()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tab.Renew("a", t0)
	tab.Renew("b", t0)
	tab.Renew("gone", t0)
	st.fail = errors.New("disk full")
	if _, err := tab.Flush(st); err == nil {
		t.Fatal("a failed transaction was not reported")
	}
	tab.Renew("a", t0.Add(time.Second)) // came while the flush failed: kept over the older one
	tab.Forget("gone")                  // deleted meanwhile: not written back
	st.fail = nil
	if n, err := tab.Flush(st); err != nil || n != 2 {
		t.Fatalf("retry wrote %d (err %v), want a and b", n, err)
	}
	r := Reader{Store: st}
	if got, _ := r.RenewTime("a"); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("lease a = %v, want the newer renewal", got)
	}
	if _, ok := r.RenewTime("gone"); ok {
		t.Error("a forgotten node's lease was written")
	}
	if _, ok := tab.RenewTime("gone"); ok {
		t.Error("a forgotten node is still in the table")
	}
}

func TestChunksBoundTransactions(t *testing.T) {
	m := map[string]time.Time{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		m[n] = time.Time{}
	}
	got := chunks(m, 2)
	seen := map[string]bool{}
	for _, c := range got {
		if len(c) > 2 {
			t.Errorf("chunk of %d > 2", len(c))
		}
		for k := range c {
			seen[k] = true
		}
	}
	if len(got) != 3 || len(seen) != 5 {
		t.Errorf("5 leases by 2: %d chunks covering %d leases, want 3 covering 5", len(got), len(seen))
	}
}

func TestLater(t *testing.T) {
	a, b := time.Unix(10, 0), time.Unix(20, 0)
	if !Later(a, b).Equal(b) || !Later(b, a).Equal(b) || !Later(time.Time{}, a).Equal(a) {
		t.Error("Later does not pick the later time")
	}
}

func TestRenewChecked(t *testing.T) {
	tab := NewTable()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if tab.RenewChecked("a", t0, DefaultCheckInterval) {
		t.Fatal("renewed a node never checked")
	}
	tab.Renew("a", t0)
	tab.MarkChecked("a", t0)
	if !tab.RenewChecked("a", t0.Add(DefaultCheckInterval-time.Second), DefaultCheckInterval) {
		t.Error("not renewed within the check interval")
	}
	if got, _ := tab.RenewTime("a"); !got.Equal(t0.Add(DefaultCheckInterval - time.Second)) {
		t.Errorf("renewal at %v", got)
	}
	if tab.RenewChecked("a", t0.Add(DefaultCheckInterval), DefaultCheckInterval) {
		t.Error("renewed without a read a check interval later")
	}
	tab.Unchecked("a")
	if tab.RenewChecked("a", t0.Add(time.Second), DefaultCheckInterval) {
		t.Error("renewed without a read after a ready report")
	}
	if tab.Pending() != 1 {
		t.Errorf("pending %d, want 1", tab.Pending())
	}
}

// countingGetter counts the store reads of a Reader.
type countingGetter struct {
	Getter
	reads int
}

func (c *countingGetter) GetMeta(key string, v any) (bool, error) {
	c.reads++
	return c.Getter.GetMeta(key, v)
}

func TestReaderAnswersFreshLocalRenewalsWithoutTheStore(t *testing.T) {
	st := openStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	other := NewTable() // another server's renewals, flushed to the shared store
	other.Renew("moved", t0.Add(30*time.Second))
	other.Renew("stored", t0)
	if _, err := other.Flush(st); err != nil {
		t.Fatal(err)
	}
	local := NewTable()
	local.Renew("fresh", t0.Add(35*time.Second))
	local.Renew("moved", t0) // its agent moved to the other server since
	now := t0.Add(40 * time.Second)
	g := &countingGetter{Getter: st}
	r := Reader{Store: g, Local: local, Now: func() time.Time { return now }}
	for _, c := range []struct {
		node  string
		want  time.Time
		ok    bool
		reads int // store reads this answer took
	}{
		{"fresh", t0.Add(35 * time.Second), true, 0}, // 5 s old here: the store is not read
		{"moved", t0.Add(30 * time.Second), true, 1}, // 40 s old here: the store's newer one wins
		{"stored", t0, true, 1},                      // none here: the store's
		{"ghost", time.Time{}, false, 1},             // nowhere
	} {
		before := g.reads
		got, ok := r.RenewTime(c.node)
		if !got.Equal(c.want) || ok != c.ok || g.reads-before != c.reads {
			t.Errorf("RenewTime(%s) = %v, %v after %d store reads; want %v, %v after %d", c.node, got, ok, g.reads-before, c.want, c.ok, c.reads)
		}
	}
}

// Reader.Fresh shortens how old a local renewal may be to answer alone
// (a shortened grace period): an older one goes to the store.
func TestReaderFreshFollowsTheGracePeriod(t *testing.T) {
	st := openStore(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	other := NewTable()
	other.Renew("moved", t0.Add(8*time.Second))
	if _, err := other.Flush(st); err != nil {
		t.Fatal(err)
	}
	local := NewTable()
	local.Renew("moved", t0)
	g := &countingGetter{Getter: st}
	r := Reader{Store: g, Local: local, Now: func() time.Time { return t0.Add(10 * time.Second) }, Fresh: 4 * time.Second}
	if got, _ := r.RenewTime("moved"); !got.Equal(t0.Add(8*time.Second)) || g.reads != 1 {
		t.Errorf("RenewTime = %v after %d store reads; want the store's newer renewal after 1", got, g.reads)
	}
}
