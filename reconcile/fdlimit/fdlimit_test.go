package fdlimit

import (
	"slices"
	"syscall"
	"testing"
)

func TestTargets(t *testing.T) {
	tests := []struct {
		name   string
		cur    Limit
		nrOpen uint64
		want   []Limit
	}{
		{"a container's 20,000 (Go lifted the soft one)", Limit{20000, 20000}, 1 << 20, []Limit{{1 << 20, 1 << 20}}},
		{"soft below hard", Limit{1024, 4096}, 1 << 20, []Limit{{1 << 20, 1 << 20}, {4096, 4096}}},
		{"nr_open lower than wanted", Limit{1024, 1024}, 65536, []Limit{{65536, 65536}}},
		{"nr_open unknown", Limit{1024, 1024}, 0, []Limit{{MaxWanted, MaxWanted}}},
		{"already there", Limit{1 << 20, 1 << 20}, 1 << 20, nil},
		{"hard above wanted, soft below", Limit{1 << 20, 1 << 30}, 1 << 30, []Limit{{1 << 30, 1 << 30}}},
	}
	for _, tt := range tests {
		if got := Targets(tt.cur, tt.nrOpen); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Raise never lowers the limit and leaves the soft one at the hard one.
func TestRaise(t *testing.T) {
	before, after, err := Raise()
	if err != nil {
		t.Fatal(err)
	}
	if after.Soft < before.Soft || after.Hard < before.Hard || after.Soft != after.Hard {
		t.Errorf("raised %+v to %+v", before, after)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur != after.Soft {
		t.Errorf("the process's limit is %d, Raise said %d (%v)", rl.Cur, after.Soft, err)
	}
}
