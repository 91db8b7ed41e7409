package events

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// History bounds, as Kubernetes keeps events: an hour, and (our own
// addition, so a crash-looping pod cannot fill the store) a count per
// namespace.
const (
	MaxAge          = time.Hour
	MaxPerNamespace = 1000
)

// Event types.
const (
	Normal  = corev1.EventTypeNormal
	Warning = corev1.EventTypeWarning
)

// Record stores an event about obj in tx: type Normal or Warning, a
// CamelCase reason (Kubernetes' words: SuccessfulCreate, BackOff, …), a
// message for a person, the component that saw it (source.component)
// and the time. Recording the same object, type, reason and message again
// bumps the stored event's count and lastTimestamp.
func Record(tx *store.Tx, obj objects.Object, eventType, reason, message, component string, now time.Time) error {
	ev := New(obj, eventType, reason, message, component, now)
	return Store(tx, ev, now)
}

// New builds an event about obj (not stored).
func New(obj objects.Object, eventType, reason, message, component string, now time.Time) *corev1.Event {
	ns := obj.GetNamespace()
	if ns == "" {
		// Events about cluster-scoped objects (Nodes) live in default,
		// as Kubernetes puts them.
		ns = "default"
	}
	t := metav1.NewTime(now.UTC())
	info, _ := objects.Info(objects.KindOf(obj))
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns},
		InvolvedObject: corev1.ObjectReference{
			Kind: objects.KindOf(obj), APIVersion: info.APIVersion,
			Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: obj.GetUID(),
		},
		Reason: reason, Message: message, Type: eventType,
		Source: corev1.EventSource{Component: component},
		Count:  1, FirstTimestamp: t, LastTimestamp: t,
	}
	objects.SetTypeMeta(ev, "Event")
	return ev
}

// Store records ev (as an agent posts it): a repeat of a stored event
// bumps that one, else ev is created with a fresh name unless it has one
// already. Missing fields are filled: count 1, timestamps now, type
// Normal.
func Store(tx *store.Tx, ev *corev1.Event, now time.Time) error {
	objects.SetTypeMeta(ev, "Event")
	if ev.Namespace == "" {
		ev.Namespace = ev.InvolvedObject.Namespace
		if ev.Namespace == "" {
			ev.Namespace = "default"
		}
	}
	if ev.Type == "" {
		ev.Type = Normal
	}
	if ev.Count == 0 {
		ev.Count = 1
	}
	if ev.LastTimestamp.IsZero() {
		ev.LastTimestamp = metav1.NewTime(now.UTC())
	}
	if ev.FirstTimestamp.IsZero() {
		ev.FirstTimestamp = ev.LastTimestamp
	}
	if ev.InvolvedObject.Kind == "" || ev.InvolvedObject.Name == "" || ev.Reason == "" {
		return fmt.Errorf("event %q: involvedObject.kind, involvedObject.name and reason are required", ev.Name)
	}
	dedup := dedupKey(ev)
	var name string
	found, err := tx.GetMeta(dedup, &name)
	if err != nil {
		return err
	}
	if found {
		cur, err := tx.Get(objects.Key{Kind: "Event", Namespace: ev.Namespace, Name: name})
		switch {
		case err == nil:
			old := cur.(*corev1.Event)
			old.Count += max(ev.Count, 1)
			if ev.LastTimestamp.After(old.LastTimestamp.Time) {
				old.LastTimestamp = ev.LastTimestamp
			}
			return tx.Update(old)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	from := 0
	if ev.Name == "" {
		from = collisions.next(ev.InvolvedObject.Name, now)
		ev.Name = eventName(ev.InvolvedObject.Name, now.Add(time.Duration(from)))
	}
	for i := from; ; i++ {
		err := tx.Create(ev)
		if err == nil {
			collisions.taken(ev.InvolvedObject.Name, now, i)
			break
		}
		if !errors.Is(err, store.ErrExists) || i > from+1000 {
			return err
		}
		// Two events in the same nanosecond (an injected clock, or one
		// "now" for a whole pass of the runner): take the next name.
		ev.Name = eventName(ev.InvolvedObject.Name, now.Add(time.Duration(i+1)))
	}
	return tx.PutMeta(dedup, ev.Name)
}

// collisions remembers the last name offset taken for one object and
// instant: a ReplicaSet that creates 100 pods in one pass records 100
// SuccessfulCreate events at the same "now", and without the memo the
// k-th would first try the k-1 names already taken (quadratic; 60 % of
// event recording in the 150,000-pod benchmark). Only the latest
// (object, instant) is kept: a pass records one object's events together.
var collisions eventCollisions

type eventCollisions struct {
	mu     sync.Mutex
	object string
	nano   int64
	last   int
}

// next is the first offset worth trying for object at now.
func (c *eventCollisions) next(object string, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.object == object && c.nano == now.UnixNano() {
		return c.last + 1
	}
	return 0
}

func (c *eventCollisions) taken(object string, now time.Time, offset int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.object, c.nano, c.last = object, now.UnixNano(), offset
}

func eventName(object string, now time.Time) string {
	base := object
	if len(base) > 200 {
		base = base[:200]
	}
	return base + "." + strconv.FormatInt(now.UnixNano(), 16)
}

// dedupKey identifies "the same event": involved object, type, reason and
// message.
func dedupKey(ev *corev1.Event) string {
	h := fnv.New64a()
	o := ev.InvolvedObject
	for _, s := range []string{o.Kind, o.Namespace, o.Name, string(o.UID), ev.Type, ev.Reason, ev.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "event/" + ev.Namespace + "/" + strconv.FormatUint(h.Sum64(), 36)
}

// Prune removes, in every namespace, events last seen more than MaxAge
// before now and the oldest beyond MaxPerNamespace. It returns how many
// it removed. It deletes them all in tx: with many events to remove, list
// them with Doomed and delete them in bounded transactions with
// DeleteIfUnchanged instead.
func Prune(tx *store.Tx, now time.Time) (int, error) {
	all, err := tx.ListShared("Event", "")
	if err != nil {
		return 0, err
	}
	return DeleteIfUnchanged(tx, Doomed(all, now))
}

// Doomed returns the events of all (objects of kind Event, only read)
// that Prune removes: per namespace, those last seen more than MaxAge
// before now and the oldest beyond MaxPerNamespace; oldest first.
func Doomed(all []objects.Object, now time.Time) []*corev1.Event {
	byNS := map[string][]*corev1.Event{}
	for _, o := range all {
		if ev, ok := o.(*corev1.Event); ok {
			byNS[ev.Namespace] = append(byNS[ev.Namespace], ev)
		}
	}
	var out []*corev1.Event
	for _, evs := range byNS {
		// Newest first: the first MaxPerNamespace young enough stay.
		sort.Slice(evs, func(i, j int) bool { return seenBefore(evs[j], evs[i]) })
		left := 0
		for _, ev := range evs {
			if left < MaxPerNamespace && now.Sub(LastSeen(ev)) <= MaxAge {
				left++
				continue
			}
			out = append(out, ev)
		}
	}
	slices.Reverse(out)
	return out
}

// DeleteIfUnchanged deletes the events (and their deduplication records)
// whose stored resourceVersion is still theirs: one recorded again since
// it was listed (its count bumped) stays. It returns how many it deleted.
func DeleteIfUnchanged(tx *store.Tx, evs []*corev1.Event) (int, error) {
	n := 0
	for _, ev := range evs {
		k := objects.KeyOf(ev)
		cur, err := tx.Get(k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		if cur.GetResourceVersion() != ev.ResourceVersion {
			continue
		}
		if err := tx.Delete(k); err != nil {
			return n, err
		}
		if err := tx.DeleteMeta(dedupKey(ev)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// LastSeen is when the event last happened: lastTimestamp, else
// eventTime, else firstTimestamp, else its creation.
func LastSeen(ev *corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	}
	return ev.CreationTimestamp.Time
}

// For returns the events about one object (matched by kind and name, and
// by uid when both have one), oldest first, as `describe` shows them.
func For(evs []*corev1.Event, obj objects.Object) []*corev1.Event {
	var out []*corev1.Event
	kind := objects.KindOf(obj)
	for _, ev := range evs {
		io := ev.InvolvedObject
		if io.Kind != kind || io.Name != obj.GetName() || io.Namespace != obj.GetNamespace() {
			continue
		}
		if io.UID != "" && obj.GetUID() != "" && io.UID != obj.GetUID() {
			continue
		}
		out = append(out, ev)
	}
	SortOldestFirst(out)
	return out
}

// SortOldestFirst orders events by when they were last seen.
func SortOldestFirst(evs []*corev1.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return seenBefore(evs[i], evs[j]) })
}

// seenBefore orders by LastSeen. Stored times have whole seconds, so ties
// are common: the creation nanotime in the name's hex suffix breaks them.
func seenBefore(a, b *corev1.Event) bool {
	ta, tb := LastSeen(a), LastSeen(b)
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	na, nb := nameTime(a.Name), nameTime(b.Name)
	if na != nb {
		return na < nb
	}
	return a.Name < b.Name
}

// nameTime is the nanotime in an event name "<object>.<hex>", or 0.
func nameTime(name string) int64 {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0
	}
	n, _ := strconv.ParseInt(name[i+1:], 16, 64)
	return n
}
