package store

import (
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// diskUsage is what the store takes on disk: allocated blocks, as du
// counts them (Badger's files are sparse before they fill).
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		}
		return nil
	})
	return n
}

func bigConfigMap(rev int, size int) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "big"},
		Data: map[string]string{"blob": strings.Repeat(string(rune('a'+rev%26)), size)}}
	objects.SetTypeMeta(cm, "ConfigMap")
	return cm
}

// Thirty revisions of a 1 MB ConfigMap: after GC the store is less than
// three times what it was with the first revision (without GC it holds
// every revision: thirty times).
func TestOldRevisionsAreCollected(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenWith(dir, Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const size = 1_000_000
	if err := st.Update(func(tx *Tx) error { return tx.Create(bigConfigMap(0, size)) }); err != nil {
		t.Fatal(err)
	}
	st.CollectGarbage()
	first := diskUsage(t, dir)
	for rev := 1; rev < 30; rev++ {
		if err := st.Update(func(tx *Tx) error { return tx.Update(bigConfigMap(rev, size)) }); err != nil {
			t.Fatal(err)
		}
	}
	before := diskUsage(t, dir)
	st.CollectGarbage()
	after := diskUsage(t, dir)
	t.Logf("store: %d bytes with one revision, %d after 30 before GC, %d after GC", first, before, after)
	if e, _ := st.gcErr.Load().(string); e != "" {
		t.Errorf("GC error: %s", e)
	}
	if after >= 3*first {
		t.Fatalf("after GC the store takes %d bytes, over 3× the %d of one revision", after, first)
	}
	// The last revision is still there, whole.
	o, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "big"})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.(*corev1.ConfigMap).Data["blob"]; len(got) != size || got[0] != byte('a'+29%26) {
		t.Fatalf("last revision damaged: %d bytes starting %q", len(got), got[:1])
	}
}
