package schema

import (
	"fmt"
	"strings"
	"testing"
)

func configMapFile(name string, size int) File {
	return File{Path: name + ".yaml", Data: []byte(fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  blob: %q\n", name, strings.Repeat("x", size)))}
}

func TestLimits(t *testing.T) {
	v := newTestValidator(t)
	cases := []struct {
		name   string
		limits Limits
		files  []File
		want   []string // substrings of the errors, in order
		kept   int
	}{
		{"an object over 1 MiB", Limits{}, []File{configMapFile("a", 100), configMapFile("big", 1<<20+1)},
			[]string{"big.yaml:1:1: ConfigMap/default/big is 1048"}, 1},
		{"the default limits take 9.5 MB objects no more", Limits{}, []File{configMapFile("a", 9_500_000)},
			[]string{"a.yaml:1:1: ConfigMap/default/a is 9500", "over the limit of 1048576 bytes (1.0 MiB) per object"}, 0},
		{"a raised object limit", Limits{MaxObjectBytes: 10 << 20, MaxCommitBytes: 1 << 30}, []File{configMapFile("a", 9_500_000)}, nil, 1},
		{"the commit's total", Limits{MaxCommitBytes: 3000}, []File{configMapFile("a", 1000), configMapFile("b", 1000), configMapFile("c", 1000)},
			[]string{"c.yaml:1:1: with ConfigMap/default/c the commit's objects reach", "over the limit of 3000 bytes per commit"}, 3},
		{"the commit's object count", Limits{MaxCommitObjects: 2}, []File{configMapFile("a", 1), configMapFile("b", 1), configMapFile("c", 1)},
			[]string{"c.yaml:1:1: ConfigMap/default/c is object number 3 of the commit, over the limit of 2 objects"}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v.SetLimits(c.limits)
			res := v.Validate(c.files)
			if (len(c.want) == 0) != (len(res.Errors) == 0) || len(res.Errors) > 1 {
				t.Fatalf("errors:\n%s", res)
			}
			got := res.String()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("errors do not say %q:\n%s", w, got)
				}
			}
			if len(res.Manifests) != c.kept {
				t.Errorf("%d manifests kept, want %d", len(res.Manifests), c.kept)
			}
		})
	}
	v.SetLimits(Limits{})
}
