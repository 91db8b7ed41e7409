package podnet

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// fakeDataplane is a Dataplane in memory, keyed as the kernel keys them.
type fakeDataplane struct {
	mu     sync.Mutex
	routes map[string]Route     // by Dst
	neighs map[string]Neighbour // by IP
	fdb    map[string]FDBEntry  // by MAC
	onLink map[string]bool
}

func newFakeDataplane(s State) *fakeDataplane {
	f := &fakeDataplane{routes: map[string]Route{}, neighs: map[string]Neighbour{}, fdb: map[string]FDBEntry{}}
	for _, r := range s.Routes {
		f.routes[r.Dst] = r
	}
	for _, n := range s.Neighbours {
		f.neighs[n.IP] = n
	}
	for _, e := range s.FDB {
		f.fdb[e.MAC] = e
	}
	return f
}

func values[T any](m map[string]T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	out := make([]T, 0, len(m))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

func (f *fakeDataplane) state() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return State{Routes: values(f.routes), Neighbours: values(f.neighs), FDB: values(f.fdb)}
}

func (f *fakeDataplane) List(context.Context) ([]Route, error) { return f.state().Routes, nil }
func (f *fakeDataplane) Replace(_ context.Context, r Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[r.Dst] = r
	return nil
}
func (f *fakeDataplane) Delete(_ context.Context, r Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.routes, r.Dst)
	return nil
}
func (f *fakeDataplane) ListNeighbours(context.Context) ([]Neighbour, error) {
	return f.state().Neighbours, nil
}
func (f *fakeDataplane) ReplaceNeighbour(_ context.Context, n Neighbour) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.neighs[n.IP] = n
	return nil
}
func (f *fakeDataplane) DeleteNeighbour(_ context.Context, n Neighbour) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.neighs, n.IP)
	return nil
}
func (f *fakeDataplane) ListFDB(context.Context) ([]FDBEntry, error) { return f.state().FDB, nil }
func (f *fakeDataplane) ReplaceFDB(_ context.Context, e FDBEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fdb[e.MAC] = e
	return nil
}
func (f *fakeDataplane) DeleteFDB(_ context.Context, e FDBEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fdb, e.MAC)
	return nil
}
func (f *fakeDataplane) OnLink(_ context.Context, ip string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.onLink[ip], nil
}
