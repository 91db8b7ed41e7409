package schema

import (
	"strings"
	"testing"
)

func TestProjectedAndDownwardVolumesValidate(t *testing.T) {
	m := mustOne(t, "pod.yaml", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    image: app:v1
    env: [{name: SUB, value: x}]
    volumeMounts:
    - {name: all, mountPath: /all, readOnly: true}
    - {name: info, mountPath: /etc/name, subPathExpr: $(SUB)/name}
  volumes:
  - name: all
    projected:
      defaultMode: 0440
      sources:
      - secret: {name: s, items: [{key: k, path: a/k, mode: 0400}], optional: true}
      - configMap: {name: c}
      - downwardAPI:
          items:
          - {path: labels, fieldRef: {fieldPath: metadata.labels}}
          - {path: cpu, resourceFieldRef: {containerName: app, resource: limits.cpu}}
  - name: info
    downwardAPI:
      items: [{path: x/name, fieldRef: {fieldPath: metadata.name}, mode: 0600}]
`)
	if m.Object == nil {
		t.Fatal("no object")
	}
}

func TestVolumeRefusals(t *testing.T) {
	cases := []struct{ name, volumes, mounts, want string }{
		{"service account token", `[{name: v, projected: {sources: [{serviceAccountToken: {path: token}}]}}]`, `[]`,
			"service accounts are not implemented by reconcile yet"},
		{"cluster trust bundle", `[{name: v, projected: {sources: [{clusterTrustBundle: {path: ca, name: x}}]}}]`, `[]`,
			"ClusterTrustBundle (certificates.k8s.io alpha) is not implemented"},
		{"two kinds in one source", `[{name: v, projected: {sources: [{configMap: {name: a}, secret: {name: b}}]}}]`, `[]`,
			"exactly one of configMap, secret or downwardAPI"},
		{"node name in a volume", `[{name: v, downwardAPI: {items: [{path: n, fieldRef: {fieldPath: spec.nodeName}}]}}]`, `[]`,
			"fieldPath"},
		{"resourceFieldRef without container", `[{name: v, downwardAPI: {items: [{path: n, resourceFieldRef: {resource: limits.cpu}}]}}]`, `[]`,
			"containerName"},
		{"subPath and subPathExpr", `[{name: v, emptyDir: {}}]`, `[{name: v, mountPath: /x, subPath: a, subPathExpr: b}]`,
			"subPath and subPathExpr are mutually exclusive"},
		{"subPath leaving the volume", `[{name: v, emptyDir: {}}]`, `[{name: v, mountPath: /x, subPath: ../a}]`,
			"must be a relative path without '..'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := validateOne(t, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: app, image: app:v1, volumeMounts: "+tc.mounts+"}]\n  volumes: "+tc.volumes+"\n")
			if res.OK() || !strings.Contains(res.String(), tc.want) {
				t.Errorf("want an error containing %q, got:\n%s", tc.want, res)
			}
		})
	}
}
