package apiserver

import (
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// writeList streams the bytes writeJSON writes for the whole list.
func TestWriteListIsTheWholeBody(t *testing.T) {
	pod := func(name string) any {
		return &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: map[string]string{"note": "<a & b>"}},
			Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "web", Image: "hello:v1"}}}}
	}
	tm := metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}
	for _, c := range []struct {
		name  string
		meta  metav1.ListMeta
		items []any
	}{
		{"empty", metav1.ListMeta{ResourceVersion: "7"}, []any{}},
		{"one", metav1.ListMeta{ResourceVersion: "8"}, []any{pod("a")}},
		{"a page with a continue token", metav1.ListMeta{ResourceVersion: "9", Continue: "eyJ2IjoxfQ=="}, []any{pod("a"), pod("b"), pod("c")}},
	} {
		whole := httptest.NewRecorder()
		writeJSON(whole, 200, kubeListBody{TypeMeta: tm, Metadata: c.meta, Items: c.items})
		streamed := httptest.NewRecorder()
		writeList(streamed, tm, c.meta, len(c.items), func(i int) any { return c.items[i] })
		if got, want := streamed.Body.String(), whole.Body.String(); got != want {
			t.Errorf("%s: writeList wrote\n%s\nwant (writeJSON)\n%s", c.name, got, want)
		}
		if got := streamed.Header().Get("Content-Type"); got != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, got)
		}
	}
}
