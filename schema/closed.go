package schema

import (
	"strconv"

	"cuelang.org/go/cue"
)

// notAllowed walks the user's value beside the definition and returns the
// paths of fields the definition does not allow. CUE stops reporting
// closedness errors in a struct once a value in it is wrong, so after a
// failed validation this second pass makes sure every unsupported field is
// named at once. It is not run for valid documents.
func notAllowed(def, user cue.Value) [][]string {
	var out [][]string
	var walk func(s, u cue.Value, sels []string)
	walk = func(s, u cue.Value, sels []string) {
		if !s.Exists() || s.Err() != nil {
			return // a field refused with error("…") is named once, not its subfields
		}
		switch u.IncompleteKind() {
		case cue.StructKind:
			it, err := u.Fields()
			if err != nil {
				return
			}
			for it.Next() {
				sel := it.Selector()
				p := append(append([]string(nil), sels...), sel.Unquoted())
				if !s.Allows(sel) {
					out = append(out, p)
					continue
				}
				next := s.LookupPath(cue.MakePath(sel))
				if !next.Exists() {
					next = s.LookupPath(cue.MakePath(sel.Optional()))
				}
				if !next.Exists() {
					next = s.LookupPath(cue.MakePath(cue.AnyString))
				}
				walk(next, it.Value(), p)
			}
		case cue.ListKind:
			it, err := u.List()
			if err != nil {
				return
			}
			for i := 0; it.Next(); i++ {
				next := s.LookupPath(cue.MakePath(cue.Index(i)))
				if !next.Exists() {
					next = s.LookupPath(cue.MakePath(cue.AnyIndex))
				}
				walk(next, it.Value(), append(append([]string(nil), sels...), strconv.Itoa(i)))
			}
		}
	}
	walk(def, user, nil)
	return out
}
