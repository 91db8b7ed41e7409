package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/sources"
)

// printSourceExtras prints what `reconcile status` shows of a source besides
// its commits: signature policy, target namespace, polling, webhook and the
// last fetch error.
func printSourceExtras(w io.Writer, s sources.Status) {
	if s.Verify != "" && s.Verify != "off" {
		line := "commit at the ref signed by a trusted key"
		if s.Verify == "tag" {
			line = "annotated tag signed by a trusted key"
		}
		if s.SignedBy != "" {
			line += "; applied commit signed by " + s.SignedBy
		}
		fmt.Fprintf(w, "  verify:    %s (%s)\n", s.Verify, line)
	}
	if s.Namespace != "" {
		fmt.Fprintf(w, "  namespace: %s (for objects that name none)\n", s.Namespace)
	}
	poll := "on change (local repo, watched)"
	if !s.NextPollAt.IsZero() {
		poll = fmt.Sprintf("next poll %s (in %s)", s.NextPollAt.Local().Format("15:04:05"), time.Until(s.NextPollAt).Round(time.Second))
	}
	if s.Webhook {
		poll += ", and on POST /hooks/" + s.Name
	}
	fmt.Fprintf(w, "  fetch:     %s\n", poll)
	fmt.Fprintf(w, "  fetches:   %s\n", fetchesLine(s, time.Now()))
	if s.Pinned {
		fmt.Fprintf(w, "  pinned:    yes, to %s by a rollback (%s): new commits are fetched but not applied until `reconcile sync --resume`\n",
			short12(s.PinnedCommit), s.PinnedAt.Local().Format("2006-01-02 15:04:05"))
		if s.PendingCommit != "" {
			fmt.Fprintf(w, "  waiting:   %s %s (newest at the ref, not applied)\n", short12(s.PendingCommit), firstLine(s.PendingCommitMessage))
		}
	} else {
		fmt.Fprintf(w, "  pinned:    no\n")
	}
	printDrift(w, s)
	if f := s.LastForcedPush; f != nil {
		fmt.Fprintf(w, "  forced:    %s the ref moved from %s to %s, which does not descend from it (a force-push); applied\n",
			f.At.Local().Format("2006-01-02 15:04:05"), short12(f.From), short12(f.To))
	}
	if s.FetchError != "" {
		fmt.Fprintf(w, "  fetch error (%s): %s\n", s.FetchErrorAt.Local().Format("2006-01-02 15:04:05"), s.FetchError)
	}
}

func byAuthor(a string) string {
	if a == "" {
		return ""
	}
	return " — " + a
}

// printDrift shows how a source handles changes made outside git and what
// it found.
func printDrift(w io.Writer, s sources.Status) {
	d := s.Drift
	line := "heal (changes outside git are undone)"
	if s.DriftMode == "warn" {
		line = "warn (changes outside git are reported, not undone)"
	}
	fmt.Fprintf(w, "  drift:     %s; found %d, repaired %d\n", line, d.Found, d.Repaired)
	if l := d.Last; l != nil {
		what := "repaired"
		if !l.Repaired {
			what = "not repaired"
		}
		fmt.Fprintf(w, "  last drift: %s %s: %s (%s)\n", l.At.Local().Format("2006-01-02 15:04:05"), l.Object, l.Change, what)
	}
	if len(d.Unrepaired) > 0 {
		fmt.Fprintf(w, "  differs from git now: %s\n", strings.Join(d.Unrepaired, ", "))
	}
}

// fetchesLine says how many fetches this controller made of a source and
// when the last one started: `3 (last 5s ago; at most one per 1s)`.
func fetchesLine(s sources.Status, now time.Time) string {
	line := fmt.Sprint(s.Fetches)
	if !s.LastFetchAt.IsZero() {
		line += " (last " + ago(s.LastFetchAt, now) + " ago"
		if s.MinFetchInterval > 0 {
			line += "; at most one per " + s.MinFetchInterval.String()
		}
		line += ")"
	}
	return line
}
