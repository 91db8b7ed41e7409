package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
)

func TestPrintHistory(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	stamp := at.Local().Format("2006-01-02 15:04:05")
	h := reconcile.SourceHistory{Source: "apps", Entries: []reconcile.HistoryEntry{
		{Commit: "cccccccccccccccccccc", Author: "Bob", Message: "rewrite\n\nbody", AppliedAt: at, Summary: "ConfigMap ~1", Forced: true, ForcedFrom: "bbbbbbbbbbbbbbbbbbbb"},
		{Commit: "aaaaaaaaaaaaaaaaaaaa", Author: "Ann", Message: "first", AppliedAt: at, Summary: "Deployment +1", Rollback: true},
	}}
	var buf bytes.Buffer
	printHistory(&buf, h)
	want := strings.Join([]string{
		"APPLIED              COMMIT        AUTHOR  MESSAGE    CHANGES        FLAGS",
		stamp + "  cccccccccccc  Bob     \"rewrite\"  ConfigMap ~1   forced (from bbbbbbbbbbbb)",
		stamp + "  aaaaaaaaaaaa  Ann     \"first\"    Deployment +1  rollback",
		""}, "\n")
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	printHistory(&buf, reconcile.SourceHistory{Source: "apps"})
	if buf.String() != "source apps has applied no commit yet\n" {
		t.Errorf("empty history: %q", buf.String())
	}
}

func TestPrintDrift(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	s := sources.Status{DriftMode: reconcile.DriftWarn}
	s.Drift = reconcile.DriftStatus{Found: 2, Unrepaired: []string{"Deployment/e2e/web"},
		Last: &reconcile.DriftRecord{At: at, Object: "Deployment/e2e/web", Change: "spec.replicas is 3, git has 1"}}
	var buf bytes.Buffer
	printDrift(&buf, s)
	want := "  drift:     warn (changes outside git are reported, not undone); found 2, repaired 0\n" +
		"  last drift: " + at.Local().Format("2006-01-02 15:04:05") + " Deployment/e2e/web: spec.replicas is 3, git has 1 (not repaired)\n" +
		"  differs from git now: Deployment/e2e/web\n"
	if buf.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}
