package reconcile

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func deploy(name string, replicas int32, image string) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: image,
					Env: []corev1.EnvVar{{Name: "GREETING", Value: "hello"}},
				}}},
			},
		},
	}
	objects.SetTypeMeta(d, "Deployment")
	return d
}

func cm(name string, data map[string]string) *corev1.ConfigMap {
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Data: data}
	objects.SetTypeMeta(c, "ConfigMap")
	return c
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Type: corev1.SecretTypeOpaque, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	objects.SetTypeMeta(s, "Secret")
	return s
}

func ns(name string) *corev1.Namespace {
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	objects.SetTypeMeta(n, "Namespace")
	return n
}

// storedAs is o as the store would hold it after source applied it from path.
func storedAs(o objects.Object, source, path string) objects.Object {
	s := stamped(o, source, path, "c0")
	s.SetUID(types.UID("uid-" + o.GetName()))
	s.SetResourceVersion("7")
	s.SetGeneration(1)
	return s
}

func want(objs ...objects.Object) []Desired {
	out := make([]Desired, len(objs))
	for i, o := range objs {
		out[i] = Desired{Object: o, Path: "apps/" + o.GetName() + ".yaml"}
	}
	return out
}
