package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

const policyWorkloads = `package policy

Deployment: spec: template: spec: containers: [...{
	image:      =~"^localhost/"
	resources!: limits!: {cpu!: _, memory!: _}
	...
}]
Deployment: metadata: labels: team!: string
`

func policyDeployment(image, limits, labels string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {` + labels + `}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ` + image + `
          resources: {` + limits + `}
`
}

func TestPolicy(t *testing.T) {
	good := policyDeployment("localhost/web:v1", "limits: {cpu: 1, memory: 64Mi}", "team: a")
	cases := []struct {
		name  string
		files map[string]string
	}{
		{"no policy: anything the schema allows", map[string]string{"web.yaml": policyDeployment("docker.io/web", "", "")}},
		{"policy kept", map[string]string{"policy/p.cue": policyWorkloads, "web.yaml": good}},
		{"policy violated", map[string]string{"policy/p.cue": policyWorkloads, "web.yaml": policyDeployment("docker.io/web:v1", "", "x: y")}},
		{"policy for another kind only", map[string]string{"policy/p.cue": "Pod: spec: containers: [...{image: =~\"^localhost/\"}]\n", "web.yaml": policyDeployment("docker.io/web:v1", "", "")}},
		{"two policy files unify", map[string]string{"policy/a.cue": "Deployment: metadata: labels: team!: string\n", "policy/b.cue": "Deployment: spec: replicas: <=3\n", "web.yaml": strings.Replace(good, "spec:\n", "spec:\n  replicas: 5\n", 1)}},
		{"policy does not compile", map[string]string{"policy/p.cue": "Deployment: {\n", "web.yaml": good}},
		{"top-level field that is not a kind", map[string]string{"policy/p.cue": "Deploymnet: spec: replicas: 1\n", "web.yaml": good}},
		{"deeper .cue files under policy/ are refused", map[string]string{"policy/lib/x.cue": "Deployment: spec: replicas: 1\n", "web.yaml": good}},
	}
	var out strings.Builder
	for _, tc := range cases {
		v := newTestValidator(t)
		var files []File
		for _, name := range sortedKeys(tc.files) {
			files = append(files, File{Path: name, Data: []byte(tc.files[name])})
		}
		res := v.Validate(files)
		out.WriteString("== " + tc.name + "\n")
		for _, m := range res.Manifests {
			out.WriteString("ok " + m.Path + "\n")
		}
		out.WriteString(res.String())
	}
	testkit.GoldenString(t, "testdata/policy.golden", out.String())
}

// A cached manifest is checked again when the policy changes, and the
// policy files are never taken for manifests.
func TestPolicyChangeRechecksCachedFiles(t *testing.T) {
	v := newTestValidator(t)
	web := File{Path: "web.yaml", Data: []byte(policyDeployment("docker.io/web:v1", "limits: {cpu: 1, memory: 1Mi}", "team: a"))}
	if res := v.Validate([]File{web}); !res.OK() || len(res.Manifests) != 1 {
		t.Fatalf("without policy: %s", res)
	}
	pol := File{Path: "policy/p.cue", Data: []byte(policyWorkloads)}
	res := v.Validate([]File{pol, web})
	if res.OK() || !strings.Contains(res.String(), "web.yaml:13:18: spec.template.spec.containers[0].image: policy:") {
		t.Fatalf("the cached manifest was not checked against the new policy:\n%s", res)
	}
	if res := v.Validate([]File{web}); !res.OK() {
		t.Fatalf("policy removed, still refused: %s", res)
	}
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return ks
}

// BenchmarkValidatePolicy1000 validates 1,000 Deployments cold under a
// policy that constrains every container (image prefix, limits, a label),
// against the same tree without the policy: the policy's cost per object.
func BenchmarkValidatePolicy1000(b *testing.B) {
	for _, withPolicy := range []bool{false, true} {
		name := "without-policy"
		if withPolicy {
			name = "with-policy"
		}
		b.Run(name, func(b *testing.B) {
			var files []File
			if withPolicy {
				files = append(files, File{Path: "policy/p.cue", Data: []byte(policyWorkloads)})
			}
			for i := range 1000 {
				d := strings.Replace(policyDeployment("localhost/web:v1", "limits: {cpu: 1, memory: 64Mi}", "team: a"), "name: web\n", fmt.Sprintf("name: web-%d\n", i), 1)
				files = append(files, File{Path: fmt.Sprintf("web-%04d.yaml", i), Data: []byte(d)})
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				v := newTestValidator(b)
				b.StartTimer()
				if res := v.Validate(files); !res.OK() || len(res.Manifests) != 1000 {
					b.Fatalf("%d manifests: %s", len(res.Manifests), res)
				}
			}
		})
	}
}

// The documented example keeps its own policy, and a change that breaks it
// is refused.
func TestPolicyExample(t *testing.T) {
	files, err := ReadDir("../examples/policy")
	if err != nil {
		t.Fatal(err)
	}
	if res := newTestValidator(t).Validate(files); !res.OK() || len(res.Manifests) != 1 {
		t.Fatalf("examples/policy: %d manifests\n%s", len(res.Manifests), res)
	}
	for i := range files {
		if files[i].Path == "web.yaml" {
			files[i].Data = []byte(strings.Replace(string(files[i].Data), "localhost/reconcile-hello:v1", "localhost/reconcile-hello:latest", 1))
			files[i].Hash = ""
		}
	}
	res := newTestValidator(t).Validate(files)
	if !strings.Contains(res.String(), `web.yaml:17:18: spec.template.spec.containers[0].image: policy: invalid value "localhost/reconcile-hello:latest" (out of bound !~":latest$")`) {
		t.Fatalf("a :latest image was not refused:\n%s", res)
	}
}
