package events

import (
	"fmt"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// BenchmarkRecord1000 records 1,000 distinct events in one transaction, as
// a rollout of many Deployments does.
func BenchmarkRecord1000(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range b.N {
		err := st.Update(func(tx *store.Tx) error {
			for j := range 1000 {
				if err := Record(tx, job(fmt.Sprintf("p%d-%d", i, j)), Normal, "SuccessfulCreate", "Created pod", "bench", t0.Add(time.Duration(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
