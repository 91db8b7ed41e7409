package reconcile

import (
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

func TestRecordRefusedKeepsTheAppliedCommit(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := SourceInfo{Name: "main", URL: "/repo"}
	if _, err := Apply(st, src, CommitInfo{Hash: "good", Author: "Ada <ada@example.com>", Message: "signed"}, nil, nil, ApplyOptions{AllowEmpty: true}); err != nil {
		t.Fatal(err)
	}
	if err := RecordRefused(st, src, CommitInfo{Hash: "bad", Message: "unsigned"}, "the commit is not signed"); err != nil {
		t.Fatal(err)
	}
	s, _ := GetSourceStatus(st, "main")
	if s.LastAppliedCommit != "good" || s.LastAttemptedCommit != "bad" || s.LastAttemptedMessage != "unsigned" || len(s.Errors) != 1 || s.Errors[0] != "the commit is not signed" {
		t.Fatalf("status after a refused commit: %+v", s)
	}
}
