package store

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// CreateOptions change what Create keeps of the caller's metadata. The zero
// value is Create: the store makes the uid and the creationTimestamp.
type CreateOptions struct {
	// KeepUID keeps o's uid (required then) and, when set, its
	// creationTimestamp. It is for re-creating an object that exists outside
	// the store under that identity: a pod an agent still runs after the
	// store was lost (POST /api/v1/pods/adopt), whose Podman containers are
	// labelled with the uid.
	KeepUID bool
}

// CreateWith is Create with options.
func (tx *Tx) CreateWith(o objects.Object, opts CreateOptions) error {
	if opts.KeepUID && o.GetUID() == "" {
		return fmt.Errorf("create %s keeping its uid: the object has no metadata.uid", objects.KeyOf(o))
	}
	key, err := validKey(o)
	if err != nil {
		return err
	}
	switch _, err := tx.txn.Get(objectKey(key)); {
	case err == nil:
		return fmt.Errorf("create %s: %w", key, ErrExists)
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	tx.remember(o)
	rv := tx.nextRV()
	o.SetResourceVersion(strconv.FormatUint(rv, 10))
	o.SetGeneration(1)
	if !opts.KeepUID {
		o.SetUID(newUID())
		o.SetCreationTimestamp(metav1.Time{})
	}
	if ts := o.GetCreationTimestamp(); ts.IsZero() {
		o.SetCreationTimestamp(metav1.NewTime(time.Now().UTC().Truncate(time.Second)))
	}
	return tx.write(key, o, Added, rv)
}
