package backup_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/backup"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func putConfigMap(t *testing.T, st *store.Store, name string) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}, Data: map[string]string{"k": name}}
		objects.SetTypeMeta(cm, "ConfigMap")
		return tx.Create(cm)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func configMapNames(t *testing.T, st *store.Store) string {
	t.Helper()
	items, _, err := st.List("ConfigMap", "default")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range items {
		names = append(names, o.GetName())
	}
	return strings.Join(names, ",")
}

// TestRestoreEtcdThroughTheServer: two servers' views of one store on
// real etcd, the API of the first. A snapshot saved over the API, a
// change, the snapshot restored over the API (POST /api/v1/snapshot, as
// `reconcile snapshot restore --server-side` does for embedded members):
// both views hold the snapshot's objects again, their resourceVersion is
// past every one of before (even when the same snapshot is restored
// twice) and a watch from before is 410 Gone; then the
// same through etcd directly (`--store etcd`). A Badger controller
// refuses the server-side restore and says what to do.
func TestRestoreEtcdThroughTheServer(t *testing.T) {
	cl := etcdtest.StartCluster(t, 1)
	cli := cl.Client(t)
	prefix := "/backup-test/"
	open := func() *store.Store {
		st, err := store.OpenEtcd("", cli, store.Options{}, store.EtcdOptions{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open(), open()
	putConfigMap(t, a, "in-the-snapshot")
	hs := httptest.NewServer((&apiserver.Server{Store: a}).Handler())
	defer hs.Close()
	c := apiclient.New(hs.URL, "")
	file := filepath.Join(t.TempDir(), "snap")
	snapRV, _, err := backup.Save(context.Background(), c, file)
	if err != nil {
		t.Fatal(err)
	}

	for _, how := range []string{"server-side", "etcd"} {
		putConfigMap(t, a, "after-the-snapshot-"+how)
		testkit.Eventually(t, time.Minute, "the second view has the change", func() error {
			if b.ResourceVersion() != a.ResourceVersion() {
				return errors.New("behind")
			}
			return nil
		})
		last := a.ResourceVersion()
		var rv uint64
		if how == "server-side" {
			rv, err = backup.RestoreServer(context.Background(), c, file)
		} else {
			rv, err = backup.RestoreEtcd(file, cli, prefix)
		}
		if err != nil {
			t.Fatalf("%s: %v", how, err)
		}
		if rv != max(snapRV, last)+store.RestoreRVBump {
			t.Fatalf("%s: restored resourceVersion %d; snapshot %d, before the restore %d", how, rv, snapRV, last)
		}
		for name, st := range map[string]*store.Store{"first": a, "second": b} {
			testkit.Eventually(t, time.Minute, how+": the "+name+" view reloaded", func() error {
				if got := configMapNames(t, st); got != "in-the-snapshot" || st.ResourceVersion() < rv {
					return errors.New("ConfigMaps " + got)
				}
				return nil
			})
			if _, err := st.Watch(context.Background(), last); !errors.Is(err, store.ErrGone) {
				t.Errorf("%s: %s view: a watch from the resourceVersion of before the restore: %v, want ErrGone", how, name, err)
			}
		}
		if err := c.Watch(context.Background(), last, "ConfigMap", "", func(apiclient.WatchEvent) bool { return false }); !errors.Is(err, store.ErrGone) {
			t.Errorf("%s: an API watch from before the restore: %v, want ErrGone (410)", how, err)
		}
	}

	badger, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer badger.Close()
	hb := httptest.NewServer((&apiserver.Server{Store: badger}).Handler())
	defer hb.Close()
	if _, err := backup.RestoreServer(context.Background(), apiclient.New(hb.URL, ""), file); err == nil || !strings.Contains(err.Error(), "stop the controller") {
		t.Fatalf("a server-side restore into Badger: %v, want a refusal saying to stop the controller", err)
	}
}
