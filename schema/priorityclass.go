package schema

import (
	"fmt"

	schedulingv1 "k8s.io/api/scheduling/v1"
)

// globalDefaultErrors refuses a tree with more than one PriorityClass
// marked globalDefault, as Kubernetes' API server refuses the second: the
// default priority of pods without a class would be ambiguous. Each extra
// one is an error at its manifest naming the first.
func globalDefaultErrors(ms []Manifest) []Error {
	var first *Manifest
	var errs []Error
	for i := range ms {
		pc, ok := ms[i].Object.(*schedulingv1.PriorityClass)
		if !ok || !pc.GlobalDefault {
			continue
		}
		if first == nil {
			first = &ms[i]
			continue
		}
		errs = append(errs, Error{Path: ms[i].Path, Line: ms[i].Line, Col: ms[i].Col, Field: "globalDefault",
			Message: fmt.Sprintf("PriorityClass %s is globalDefault, but %s at %s:%d:%d already is; at most one class may be the global default: set globalDefault: false on one of them",
				pc.Name, first.Object.GetName(), first.Path, first.Line, first.Col)})
	}
	return errs
}
