package objects

import (
	"fmt"
	"testing"
)

func TestParseIndexes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"", "[] 0"},
		{"0", "[{0 0}] 1"},
		{"0,2-3", "[{0 0} {2 3}] 3"},
		{"1,3-5,7", "[{1 1} {3 5} {7 7}] 5"},
		{"3-5,4", `error: "4": indexes must be ascending and not overlap`},
		{"5-3", `error: "5-3": a range must go from a lower to a higher index`},
		{"0,10", `error: "10": index 10 is not below completions (10)`},
		{"a", `error: "a": not a decimal index (want ascending indexes and ranges such as 0,2-3)`},
		{"1,", `error: "": not a decimal index (want ascending indexes and ranges such as 0,2-3)`},
		{"-1", `error: "-1": not a decimal index (want ascending indexes and ranges such as 0,2-3)`},
	} {
		rs, err := ParseIndexes(c.in, 10)
		got := fmt.Sprintf("%v %d", rs, CountIndexes(rs))
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != c.want {
			t.Errorf("ParseIndexes(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestFormatIndexes(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{{nil, ""}, {[]int{0, 1, 2}, "0-2"}, {[]int{1, 3, 4, 5, 7}, "1,3-5,7"}, {[]int{0, 2}, "0,2"}} {
		if got := FormatIndexes(c.in); got != c.want {
			t.Errorf("FormatIndexes(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzParseIndexes: any input either fails or round-trips through
// FormatIndexes.
func FuzzParseIndexes(f *testing.F) {
	for _, s := range []string{"", "0", "0,2-3", "1,3-5,7", "3-5,4", "9-", ",", "007"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParseIndexes(s, 100000)
		if err != nil {
			return
		}
		var idx []int
		for _, r := range rs {
			for i := r.First; i <= r.Last; i++ {
				idx = append(idx, i)
			}
		}
		again, err := ParseIndexes(FormatIndexes(idx), 100000)
		if err != nil || CountIndexes(again) != len(idx) {
			t.Fatalf("%q: round trip gave %v, %v", s, again, err)
		}
	})
}
