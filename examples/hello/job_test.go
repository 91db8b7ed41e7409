package main

import (
	"testing"
	"time"
)

func TestJobRule(t *testing.T) {
	args := []string{"1=42", "0=0@1s", "*=3@10m", "x=oops"}
	for _, c := range []struct {
		index string
		want  jobExit
		found bool
	}{
		{"1", jobExit{42, 0}, true},
		{"0", jobExit{0, time.Second}, true},
		{"*", jobExit{3, 10 * time.Minute}, true},
		{"x", jobExit{code: 2}, true}, // a malformed rule exits 2, saying why
		{"7", jobExit{}, false},
	} {
		got, found := jobRule(args, c.index)
		if got != c.want || found != c.found {
			t.Errorf("jobRule(%q) = %+v %v, want %+v %v", c.index, got, found, c.want, c.found)
		}
	}
}
