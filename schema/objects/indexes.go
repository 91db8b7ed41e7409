package objects

import (
	"fmt"
	"strconv"
	"strings"
)

// IndexRange is one run of an index set such as a Job's completedIndexes
// "1,3-5,7": First..Last, both included.
type IndexRange struct{ First, Last int }

// ParseIndexes reads an index set in Kubernetes' Job format ("1,3-5,7":
// ascending, non-overlapping decimal indexes and ranges, each below
// completions) as a Job's status.completedIndexes and failedIndexes and
// successPolicy's succeededIndexes write it. The error says which part is
// wrong and what the format is.
func ParseIndexes(s string, completions int32) ([]IndexRange, error) {
	if s == "" {
		return nil, nil
	}
	var out []IndexRange
	next := 0
	for part := range strings.SplitSeq(s, ",") {
		first, last, isRange := strings.Cut(part, "-")
		a, err := parseIndex(first)
		if err != nil {
			return nil, fmt.Errorf("%q: %v (want ascending indexes and ranges such as 0,2-3)", part, err)
		}
		b := a
		if isRange {
			if b, err = parseIndex(last); err != nil {
				return nil, fmt.Errorf("%q: %v (want ascending indexes and ranges such as 0,2-3)", part, err)
			}
			if b <= a {
				return nil, fmt.Errorf("%q: a range must go from a lower to a higher index", part)
			}
		}
		if a < next {
			return nil, fmt.Errorf("%q: indexes must be ascending and not overlap", part)
		}
		if b >= int(completions) {
			return nil, fmt.Errorf("%q: index %d is not below completions (%d)", part, b, completions)
		}
		out = append(out, IndexRange{a, b})
		next = b + 1
	}
	return out, nil
}

func parseIndex(s string) (int, error) {
	if s == "" || len(s) > 9 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a decimal index")
	}
	return strconv.Atoi(s)
}

// CountIndexes is how many indexes the ranges hold.
func CountIndexes(rs []IndexRange) int {
	n := 0
	for _, r := range rs {
		n += r.Last - r.First + 1
	}
	return n
}

// FormatIndexes renders sorted, distinct indexes in the same format:
// "1,3-5,7".
func FormatIndexes(idx []int) string {
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(idx[i]))
		} else {
			parts = append(parts, strconv.Itoa(idx[i])+"-"+strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
