package agent

import "sync"

// eachInParallel calls fn for each item, at most limit at once, and
// returns when every call has. The agent's independent requests (pods'
// actions, status writes, events) go out together this way, bounded so
// that Podman's locks and the client's kept connections are not swamped.
func eachInParallel[T any](limit int, items []T, fn func(T)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(it)
		}()
	}
	wg.Wait()
}
