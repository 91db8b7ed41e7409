package reconcile

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// samplePlan covers every action, named-list diffs, a Secret and an error.
func samplePlan() Plan {
	mine := func(o objects.Object) objects.Object { return storedAs(o, "main", "apps/"+o.GetName()+".yaml") }
	web := deploy("web", 3, "localhost/reconcile-hello:v2")
	web.Spec.Template.Spec.Containers[0].Env = append(web.Spec.Template.Spec.Containers[0].Env, corev1.EnvVar{Name: "MODE", Value: "fast"})
	web.Spec.Template.Spec.Containers = append(web.Spec.Template.Spec.Containers, corev1.Container{Name: "sidecar", Image: "busybox"})
	stored := []objects.Object{
		mine(deploy("web", 2, "localhost/reconcile-hello:v1")),
		mine(secret("db", map[string]string{"password": "hunter2", "user": "app"})),
		mine(cm("old", map[string]string{"k": "v"})),
		storedAs(cm("shared", nil), "other", "x.yaml"),
	}
	desired := want(web, secret("db", map[string]string{"password": "s3cret!", "user": "app"}),
		secret("api", map[string]string{"token": "tok-123"}), cm("config", map[string]string{"GREETING": "hi <there>"}), cm("shared", nil))
	return PlanChanges(desired, stored, PlanOptions{Source: "main", Commit: "abc123", Prune: true})
}

func TestRenderGolden(t *testing.T) {
	p := samplePlan()
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"plan.txt", func(b *bytes.Buffer) error { return RenderText(b, p, false) }},
		{"plan.color.txt", func(b *bytes.Buffer) error { return RenderText(b, p, true) }},
		{"plan.md", func(b *bytes.Buffer) error { return RenderMarkdown(b, p) }},
		{"plan.json", func(b *bytes.Buffer) error { return RenderJSON(b, p) }},
		{"noop.txt", func(b *bytes.Buffer) error { return RenderText(b, Plan{Unchanged: 4}, false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			for _, secretValue := range []string{"hunter2", "s3cret!", "tok-123", "aHVudGVyMg", "czNjcmV0IQ", "dG9rLTEyMw"} {
				if strings.Contains(b.String(), secretValue) {
					t.Errorf("%s shows the secret value %q", tc.name, secretValue)
				}
			}
			testkit.Golden(t, filepath.Join("testdata", tc.name+".golden"), b.Bytes())
		})
	}
}

func TestRenderJSONIsValidAndComplete(t *testing.T) {
	var b bytes.Buffer
	if err := RenderJSON(&b, samplePlan()); err != nil {
		t.Fatal(err)
	}
	var got JSONPlan
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Summary != (JSONSummary{Create: 2, Update: 2, Delete: 1}) || len(got.Errors) != 1 {
		t.Errorf("summary %+v errors %v", got.Summary, got.Errors)
	}
}

func TestDiffTree(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"scalar", `{"a":1}`, `{"a":2}`, `a: 1→2`},
		{"added subtree", `{}`, `{"a":{"b":[1,2]}}`, `a.b[0]: →1 | a.b[1]: →2`},
		{"named list", `{"c":[{"name":"x","v":1},{"name":"y","v":1}]}`, `{"c":[{"name":"y","v":2}]}`, `c[y].v: 1→2 | c[x].name: "x"→ | c[x].v: 1→`},
		{"index list", `{"args":["a","b"]}`, `{"args":["a","c","d"]}`, `args[1]: "b"→"c" | args[2]: →"d"`},
		{"dotted key", `{"labels":{"app.kubernetes.io/name":"x"}}`, `{"labels":{}}`, `labels["app.kubernetes.io/name"]: "x"→`},
		{"shape change", `{"a":"s"}`, `{"a":{"b":true}}`, `a: "s"→ | a.b: →true`},
		{"empty map appears", `{}`, `{"a":{}}`, `a: →{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a, b any
			json.Unmarshal([]byte(tc.a), &a)
			json.Unmarshal([]byte(tc.b), &b)
			var out []FieldChange
			diffTree("", a, b, &out)
			var parts []string
			for _, f := range out {
				parts = append(parts, f.Path+": "+orEmpty(f.Old)+"→"+orEmpty(f.New))
			}
			if got := strings.Join(parts, " | "); got != tc.want {
				t.Errorf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}
