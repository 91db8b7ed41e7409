package store

import (
	"testing"
)

func TestMetaChangedWakesOnSideRecordWrites(t *testing.T) {
	st, err := OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ch := st.MetaChanged()
	select {
	case <-ch:
		t.Fatal("woken before any write")
	default:
	}
	if err := st.Update(func(tx *Tx) error { return tx.PutMeta("source/a", map[string]string{"x": "y"}) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("PutMeta's commit did not wake the waiter")
	}
	ch = st.MetaChanged()
	if err := st.Update(func(tx *Tx) error { return tx.DeleteMeta("source/a") }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	default:
		t.Fatal("DeleteMeta's commit did not wake the waiter")
	}
}
