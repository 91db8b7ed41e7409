package apiserver

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// BenchmarkKubectlGetPodsAll is `kubectl get pods -A` over 10,000 pods
// through the handler, from a Badger store on disk: the Table list kubectl
// asks for (served whole, whatever its limit), the JSON PodList in pages of
// 500 chained by continue tokens (client-go's pager), and the real kubectl
// when one is installed (BENCHMARKS.md, "Issue 14: Kubernetes API").
func BenchmarkKubectlGetPodsAll(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const n = 10000
	for batch := 0; batch < n; batch += 1000 {
		err := st.Update(func(tx *store.Tx) error {
			for i := batch; i < batch+1000; i++ {
				p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%05d", i), Namespace: fmt.Sprintf("ns-%02d", i%50),
					Labels: map[string]string{"app": "web", "pod-template-hash": "5d8f7c9b4"}}}
				objects.SetTypeMeta(p, "Pod")
				p.Spec.NodeName = fmt.Sprintf("node-%03d", i%100)
				p.Spec.Containers = []corev1.Container{{Name: "hello", Image: "localhost/reconcile-hello:v1"}}
				p.Status.Phase = corev1.PodRunning
				p.Status.PodIP = fmt.Sprintf("10.244.%d.%d", i/250, i%250)
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "hello", Ready: true, ContainerID: "podman://0123456789abcdef"}}
				if err := tx.Create(p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	hs := httptest.NewServer((&Server{Store: st}).Handler())
	defer hs.Close()
	// get lists as a Table, or as a JSON PodList with as=json (JSON pages
	// as asked; Tables are served whole).
	get := func(q url.Values) (rows int, next string) {
		accept := tableAccept
		if q.Get("as") == "json" {
			accept = "application/json"
		}
		req, _ := http.NewRequest("GET", hs.URL+"/api/v1/pods?"+q.Encode(), nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var t struct {
			Metadata metav1.ListMeta
			Rows     []metav1.TableRow
			Items    []corev1.Pod
		}
		if err := json.Unmarshal(body, &t); err != nil || resp.StatusCode != 200 {
			b.Fatalf("%d %v: %.200s", resp.StatusCode, err, body)
		}
		return len(t.Rows) + len(t.Items), t.Metadata.Continue
	}
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if rows, _ := get(url.Values{}); rows != n {
				b.Fatalf("%d rows", rows)
			}
		}
	})
	// The real thing when kubectl is installed ($KUBECTL picks another
	// binary, e.g. Debian's 1.20 extracted from kubernetes-client): the
	// whole `kubectl get pods -A`, process start and printing included.
	if kubectl, err := exec.LookPath(cmp.Or(os.Getenv("KUBECTL"), "kubectl")); err == nil {
		kc := filepath.Join(b.TempDir(), "kubeconfig")
		os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: r, cluster: {server: \""+hs.URL+"\"}}]\n"+
			"users: [{name: r, user: {}}]\ncontexts: [{name: r, context: {cluster: r, user: r}}]\ncurrent-context: r\n"), 0o600)
		b.Run("kubectl", func(b *testing.B) {
			for b.Loop() {
				out, err := exec.Command(kubectl, "--kubeconfig", kc, "get", "pods", "-A").Output()
				if err != nil || bytes.Count(out, []byte("\n")) != n+1 {
					b.Fatalf("kubectl get pods -A: %v, %d lines", err, bytes.Count(out, []byte("\n")))
				}
			}
		})
	}
	b.Run("pages-of-500", func(b *testing.B) {
		for b.Loop() {
			total, q := 0, url.Values{"limit": {"500"}, "as": {"json"}}
			for {
				rows, next := get(q)
				total += rows
				if next == "" {
					break
				}
				q.Set("continue", next)
			}
			if total != n {
				b.Fatalf("%d rows", total)
			}
		}
	})
}
