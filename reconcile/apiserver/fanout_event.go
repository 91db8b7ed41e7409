package apiserver

import (
	"encoding/json"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// sharedEvent is one store event as every watch shares it: the object is
// read only (never modified after the fan-out received it), its audience
// and its JSON line are worked out once, by the first watch that needs
// them, and the same bytes are written to every connection.
type sharedEvent struct {
	store.Event
	kind string
	at   time.Time // when the fan-out received it (zero for a replay from the store)

	audienceOnce sync.Once
	aud          authz.Audience

	plainOnce, maskedOnce sync.Once
	plain, masked         []byte
	plainErr, maskedErr   error
}

func newSharedEvent(e store.Event) *sharedEvent {
	return &sharedEvent{Event: e, kind: objects.KindOf(e.Object), at: time.Now()}
}

// line is the event's watch line (apitypes.WatchEvent as JSON and a
// newline); Secret values masked unless reveal.
func (ev *sharedEvent) line(reveal bool) ([]byte, error) {
	if !reveal && ev.hasSecretValues() {
		ev.maskedOnce.Do(func() { ev.masked, ev.maskedErr = encodeLine(ev.Event, secrets.Mask(ev.Object)) })
		return ev.masked, ev.maskedErr
	}
	ev.plainOnce.Do(func() { ev.plain, ev.plainErr = encodeLine(ev.Event, ev.Object) })
	return ev.plain, ev.plainErr
}

func (ev *sharedEvent) hasSecretValues() bool {
	s, ok := ev.Object.(*corev1.Secret)
	return ok && (len(s.Data) > 0 || len(s.StringData) > 0)
}

func encodeLine(e store.Event, o objects.Object) ([]byte, error) {
	b, err := json.Marshal(apitypes.WatchEvent{Type: string(e.Type), Object: o, ResourceVersion: e.ResourceVersion})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
