// Package excerpt cuts user input that an error message repeats, so that a
// mistyped megabyte-long value makes a one-line error, not a megabyte of
// log. Every error of the product that quotes what a user wrote goes
// through Quote or Cut.
package excerpt

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of the offending input an error repeats at most
// (about 200, cut on a rune boundary).
const Max = 200

// Cut returns s, or its first Max bytes followed by "… (N bytes)" when it is
// longer.
func Cut(s string) string {
	if len(s) <= Max {
		return s
	}
	i := Max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}

// Quote is strconv.Quote of s cut to Max bytes; the cut is said after the
// closing quote so that the quoted part is exactly what the user wrote.
func Quote(s string) string {
	if len(s) <= Max {
		return strconv.Quote(s)
	}
	i := Max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return strconv.Quote(s[:i]) + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
