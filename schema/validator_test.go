package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func validateOne(t *testing.T, path, src string) Result {
	t.Helper()
	return newTestValidator(t).Validate([]File{{Path: path, Data: []byte(src)}})
}

func mustOne(t *testing.T, path, src string) Manifest {
	t.Helper()
	res := validateOne(t, path, src)
	if !res.OK() || len(res.Manifests) != 1 {
		t.Fatalf("want one valid object, got %d, errors:\n%s", len(res.Manifests), res)
	}
	return res.Manifests[0]
}

func TestDeploymentDefaults(t *testing.T) {
	m := mustOne(t, "d.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        livenessProbe: {tcpSocket: {port: 80}}
      - name: side
        image: localhost/side:v2
`)
	d := m.Object.(*appsv1.Deployment)
	check := func(name string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("namespace", d.Namespace, "default")
	check("replicas", *d.Spec.Replicas, int32(1))
	check("strategy", d.Spec.Strategy.Type, appsv1.RollingUpdateDeploymentStrategyType)
	check("maxSurge", d.Spec.Strategy.RollingUpdate.MaxSurge.String(), "25%")
	check("maxUnavailable", d.Spec.Strategy.RollingUpdate.MaxUnavailable.String(), "25%")
	check("revisionHistoryLimit", *d.Spec.RevisionHistoryLimit, int32(10))
	check("progressDeadlineSeconds", *d.Spec.ProgressDeadlineSeconds, int32(600))
	ps := d.Spec.Template.Spec
	check("restartPolicy", ps.RestartPolicy, corev1.RestartPolicyAlways)
	check("terminationGracePeriodSeconds", *ps.TerminationGracePeriodSeconds, int64(30))
	check("dnsPolicy", ps.DNSPolicy, corev1.DNSClusterFirst)
	c := ps.Containers[0]
	check("untagged pull policy", c.ImagePullPolicy, corev1.PullAlways)
	check("tagged pull policy", ps.Containers[1].ImagePullPolicy, corev1.PullIfNotPresent)
	check("protocol", c.Ports[0].Protocol, corev1.ProtocolTCP)
	check("terminationMessagePath", c.TerminationMessagePath, "/dev/termination-log")
	check("terminationMessagePolicy", c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	p := c.LivenessProbe
	check("period", p.PeriodSeconds, int32(10))
	check("timeout", p.TimeoutSeconds, int32(1))
	check("failure", p.FailureThreshold, int32(3))
	check("success", p.SuccessThreshold, int32(1))
	check("line", m.Line, 1)
}

func TestOtherDefaults(t *testing.T) {
	res := validateOne(t, "all.yaml", `apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: jobs}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: t, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "db:1"}]}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {a: YQ==}
stringData: {b: plain}
`)
	if !res.OK() {
		t.Fatal(res)
	}
	cj := res.Manifests[0].Object.(*batchv1.CronJob)
	if cj.Spec.ConcurrencyPolicy != batchv1.AllowConcurrent || *cj.Spec.SuccessfulJobsHistoryLimit != 3 || *cj.Spec.FailedJobsHistoryLimit != 1 {
		t.Errorf("cronjob defaults: %+v", cj.Spec)
	}
	if *cj.Spec.JobTemplate.Spec.BackoffLimit != 6 || cj.Namespace != "jobs" {
		t.Errorf("job defaults: backoffLimit %d namespace %q", *cj.Spec.JobTemplate.Spec.BackoffLimit, cj.Namespace)
	}
	svc := res.Manifests[1].Object.(*corev1.Service)
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.Ports[0].TargetPort.IntValue() != 80 ||
		svc.Spec.Ports[0].Protocol != corev1.ProtocolTCP || *svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds != 10800 {
		t.Errorf("service defaults: %+v", svc.Spec)
	}
	sts := res.Manifests[2].Object.(*appsv1.StatefulSet)
	if sts.Spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement || *sts.Spec.UpdateStrategy.RollingUpdate.Partition != 0 {
		t.Errorf("statefulset defaults: %+v", sts.Spec)
	}
	sec := res.Manifests[3].Object.(*corev1.Secret)
	if string(sec.Data["a"]) != "a" || string(sec.Data["b"]) != "plain" || sec.StringData != nil || sec.Type != corev1.SecretTypeOpaque {
		t.Errorf("secret: %+v", sec)
	}
}

func TestSemanticErrors(t *testing.T) {
	res := validateOne(t, "sem.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers:
      - name: web
        image: web:v1
        volumeMounts: [{name: data, mountPath: /data}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}, {port: 81, nodePort: 30001}]
`)
	want := `sem.yaml:7:24: spec.template.metadata.labels: the template's labels do not match the selector app=web; add them to template.metadata.labels
sem.yaml:12:31: spec.template.spec.containers[0].volumeMounts[0].name: no volume named "data" in spec.volumes
sem.yaml:18:11: spec.ports[0]: required field is missing: every port of a service with several ports needs a name
sem.yaml:18:23: spec.ports[1]: required field is missing: every port of a service with several ports needs a name
sem.yaml:18:44: spec.ports[1].nodePort: nodePort may only be set with type NodePort or LoadBalancer
`
	if got := res.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestFileRules(t *testing.T) {
	v := newTestValidator(t)
	res := v.Validate([]File{
		{Path: "big.yaml", Size: MaxFileSize + 1},
		{Path: "escape.yaml", SymlinkTarget: "../../etc/passwd"},
		{Path: "abs.yaml", SymlinkTarget: "/etc/passwd"},
		{Path: "apps/inside.yaml", SymlinkTarget: "../base/cm.yaml"},
		{Path: "base/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")},
		{Path: "README.md", Data: []byte("# not a manifest: ignored")},
	})
	want := `abs.yaml:1:1: symlink to "/etc/passwd" leaves the repository; replace the link with the file itself
big.yaml: file is 10485761 bytes, over the limit of 10485760 (10 MiB); split it into smaller files
escape.yaml:1:1: symlink to "../../etc/passwd" leaves the repository (resolves to ../../etc/passwd); replace the link with the file itself
`
	if got := res.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(res.Manifests) != 1 {
		t.Errorf("want the in-tree target loaded once, got %d manifests", len(res.Manifests))
	}
}

func TestReadDirAndCache(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	write("sub/b.json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"b"}}`)
	write(".git/config", "ignored")
	if err := os.Symlink("../a.yaml", filepath.Join(dir, "sub", "link.yaml")); err != nil {
		t.Fatal(err)
	}
	files, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); got != "a.yaml sub/b.json sub/link.yaml" {
		t.Fatalf("paths: %s", got)
	}
	// git hash-object of the same content
	if files[0].Hash != "e2cf580a24ee95168ca9eab415dc39abe93c47fe" {
		t.Errorf("hash %s", files[0].Hash)
	}
	v := newTestValidator(t)
	first := v.Validate(files)
	if !first.OK() || len(first.Manifests) != 2 {
		t.Fatalf("first: %d manifests\n%s", len(first.Manifests), first)
	}
	second := v.Validate(files)
	if second.Manifests[0].Object != first.Manifests[0].Object {
		t.Error("unchanged file was validated again instead of coming from the cache")
	}
	files[0].Data = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a2}\n")
	files[0].Hash = ""
	third := v.Validate(files)
	if third.Manifests[0].Object.GetName() != "a2" {
		t.Errorf("changed file not re-validated: %s", third.Manifests[0].Object.GetName())
	}
	if third.Manifests[1].Object != first.Manifests[1].Object {
		t.Error("the unchanged file was re-validated")
	}
}
