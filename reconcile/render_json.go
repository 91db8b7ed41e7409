package reconcile

import (
	"encoding/json"
	"io"
)

// JSONPlan is the schema of RenderJSON (version 1), stable for bots:
//
//	{"version": 1, "source": "main",
//	 "summary": {"create": 1, "update": 1, "delete": 0, "unchanged": 4},
//	 "changes": [{"action": "update", "key": "Deployment/default/web",
//	              "kind": "Deployment", "namespace": "default", "name": "web",
//	              "path": "apps/web.yaml",
//	              "fields": [{"path": "spec.replicas", "old": 2, "new": 3}]}],
//	 "errors": [{"key": {...}, "path": "...", "message": "..."}],
//	 "warnings": ["..."],
//	 "autoscaled": [{"key": "Deployment/default/web", "path": "apps/web.yaml", "field": "spec.replicas",
//	                 "owner": "HorizontalPodAutoscaler/default/web", "live": 3, "git": 1}]}
//
// Changes are in apply order. "old" is absent for an added field, "new" for
// a removed one; creates list every field as "new"; deletes list none.
// Secret values are the strings "(value hidden)" and, for the new side of a
// changed value, "(value hidden, changed)". "autoscaled" lists fields kept
// at their live value because an autoscaler owns them (Autoscaled).
type JSONPlan struct {
	Version  int          `json:"version"`
	Source   string       `json:"source,omitempty"`
	Summary  JSONSummary  `json:"summary"`
	Changes  []JSONChange `json:"changes"`
	Errors   []PlanError  `json:"errors"`
	Warnings []string     `json:"warnings"`
	// Autoscaled: fields an autoscaler owns, where git says otherwise.
	Autoscaled []JSONAutoscaled `json:"autoscaled"`
}

// JSONAutoscaled is one field an autoscaler owns (Autoscaled), keys as strings.
type JSONAutoscaled struct {
	Key   string `json:"key"`
	Path  string `json:"path,omitempty"`
	Field string `json:"field"`
	Owner string `json:"owner"`
	Live  int32  `json:"live"`
	Git   int32  `json:"git"`
}

// JSONSummary counts the changes of a plan.
type JSONSummary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
}

// JSONChange is one object's change in RenderJSON.
type JSONChange struct {
	Action    Action        `json:"action"`
	Key       string        `json:"key"`
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace,omitempty"`
	Name      string        `json:"name"`
	Path      string        `json:"path,omitempty"`
	Fields    []FieldChange `json:"fields"`
}

// ToJSON converts a plan to the RenderJSON schema.
func ToJSON(p Plan) JSONPlan {
	c, u, d := p.Counts()
	out := JSONPlan{Version: 1, Source: p.Source, Summary: JSONSummary{c, u, d, p.Unchanged},
		Changes: []JSONChange{}, Errors: p.Errors, Warnings: p.Warnings, Autoscaled: []JSONAutoscaled{}}
	for _, a := range p.Autoscaled {
		out.Autoscaled = append(out.Autoscaled, JSONAutoscaled{Key: a.Key.String(), Path: a.Path, Field: a.Field, Owner: a.Owner.String(), Live: a.Live, Git: a.Git})
	}
	if out.Errors == nil {
		out.Errors = []PlanError{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, ch := range p.Changes {
		fs := ch.FieldChanges()
		if fs == nil {
			fs = []FieldChange{}
		}
		out.Changes = append(out.Changes, JSONChange{Action: ch.Action, Key: ch.Key.String(), Kind: ch.Key.Kind,
			Namespace: ch.Key.Namespace, Name: ch.Key.Name, Path: ch.Path, Fields: fs})
	}
	return out
}

// RenderJSON writes the plan as indented JSON (see JSONPlan).
func RenderJSON(w io.Writer, plan Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(ToJSON(plan))
}
