package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Change is one server-sent event of GET /api/v1/ui/changes: what changed
// in a burst of writes. The page refetches its view; the event carries no
// object (no Secret to mask, nothing a viewer may not see).
type Change struct {
	ResourceVersion uint64 `json:"resourceVersion"`
	// Kinds changed, sorted.
	Kinds []string `json:"kinds,omitempty"`
	// Sources: a source's status or history record changed (a commit
	// applied or refused, a pin, drift).
	Sources bool `json:"sources,omitempty"`
}

// changeQuiet and changeMax coalesce a burst: an event goes out once the
// store has been quiet for changeQuiet, or changeMax after the burst's
// first write, whichever comes first (a commit of 1,000 Deployments is one
// refresh, and a page is never more than changeMax behind).
const (
	changeQuiet = 50 * time.Millisecond
	changeMax   = 300 * time.Millisecond
	heartbeat   = 15 * time.Second
)

// uiChanges streams Change events as text/event-stream: the store's watch
// for objects and store.MetaChanged for source records (which send no
// watch events). A comment line every heartbeat keeps proxies from
// closing an idle stream.
func (s *Server) uiChanges(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	events, err := s.Store.WatchShared(ctx, s.Store.ResourceVersion()) // only kinds and versions are read
	if err != nil {
		writeErr(w, err)
		return
	}
	httpserver.Stream(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(format string, args ...any) bool {
		httpserver.Extend(w)
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	if !send("retry: 1000\nevent: ready\ndata: {\"resourceVersion\":%d}\n\n", s.Store.ResourceVersion()) {
		return
	}
	meta := s.Store.MetaChanged()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	var (
		pending  *Change
		kinds    = map[string]bool{}
		quiet    = time.NewTimer(time.Hour)
		deadline <-chan time.Time
	)
	quiet.Stop()
	start := func() {
		if pending == nil {
			pending = &Change{}
			deadline = time.After(changeMax)
		}
		quiet.Reset(changeQuiet)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return // the store closed or this watcher fell behind: the page reconnects
			}
			start()
			kinds[objects.KindOf(ev.Object)] = true
			pending.ResourceVersion = ev.ResourceVersion
			continue
		case <-meta:
			meta = s.Store.MetaChanged()
			start()
			pending.Sources = true
			continue
		case <-beat.C:
			if !send(": keep-alive\n\n") {
				return
			}
			continue
		case <-quiet.C:
		case <-deadline:
		}
		if pending == nil {
			continue
		}
		for k := range kinds {
			pending.Kinds = append(pending.Kinds, k)
		}
		sort.Strings(pending.Kinds)
		if pending.ResourceVersion == 0 {
			pending.ResourceVersion = s.Store.ResourceVersion()
		}
		b, _ := json.Marshal(pending)
		pending, deadline, kinds = nil, nil, map[string]bool{}
		quiet.Stop()
		if !send("event: change\ndata: %s\n\n", b) {
			return
		}
	}
}
