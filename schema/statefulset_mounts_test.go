package schema

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

// A StatefulSet's containers mount its volumeClaimTemplates by name; a
// mount of a name that is neither a volume nor a claim template is still
// an error.
func TestStatefulSetMountsClaimTemplates(t *testing.T) {
	res := validateOne(t, "db.yaml", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: db:1
        volumeMounts: [{name: data, mountPath: /data}, {name: logs, mountPath: /logs}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`)
	want := "db.yaml:13:63: spec.template.spec.containers[0].volumeMounts[1].name: no volume named \"logs\" in spec.volumes\n"
	if got := res.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(res.Manifests) == 0 {
		return
	}
	if sts, ok := res.Manifests[0].Object.(*appsv1.StatefulSet); ok && len(sts.Spec.Template.Spec.Volumes) != 0 {
		t.Errorf("validation changed the template's volumes: %+v", sts.Spec.Template.Spec.Volumes)
	}
}
