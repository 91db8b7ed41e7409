package observability

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/agentmetrics"
	"github.com/reconcile-dev/reconcile/agent/proxy"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/metrics"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// promtool finds Debian's promtool (package prometheus, which `make setup`
// installs), skipping only where it cannot be installed.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	if os.Geteuid() != 0 {
		t.Skip("promtool not installed and not root to install it: run `make setup` as root (Debian package prometheus)")
	}
	t.Fatal("promtool not installed: run `make setup` (it installs Debian's prometheus package)")
	return ""
}

func TestPromtoolAcceptsRulesAndConfig(t *testing.T) {
	bin := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title         string `json:"title"`
		UID           string `json:"uid"`
		SchemaVersion int    `json:"schemaVersion"`
		Panels        []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos struct {
				X, Y, W, H int
			} `json:"gridPos"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("dashboard title %q, uid %q, schemaVersion %d: want a title, a uid and schemaVersion ≥ 36 (Grafana 9+)", d.Title, d.UID, d.SchemaVersion)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if !slices.Contains([]string{"row", "stat", "timeseries", "gauge", "table"}, p.Type) {
			t.Errorf("panel %q: type %q", p.Title, p.Type)
		}
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside Grafana's 24 columns", p.Title, p.GridPos)
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if q.RefID == "" || q.Expr == "" {
				t.Errorf("panel %q: a target without refId or expr", p.Title)
			}
		}
	}
}

// Every reconcile_ metric the dashboard, the rules and their test name is
// exported: a renamed metric breaks this test, not a production alert.
func TestExamplesNameExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	name := regexp.MustCompile(`reconcile_[a-z0-9_]+`)
	for _, f := range []string{"grafana-dashboard.json", "alerts.yml", "alerts_test.yml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllString(string(b), -1) {
			base := m
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if b, ok := strings.CutSuffix(m, suffix); ok && exported[b] {
					base = b
				}
			}
			if !exported[base] {
				t.Errorf("%s names %s, which neither the controller nor an agent exports", f, m)
			}
		}
	}
}

// exportedMetrics gathers the controller's and an agent's registries after
// touching every hook, so every family has a series.
func exportedMetrics(t *testing.T) map[string]bool {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(func(tx *store.Tx) error {
		return tx.Create(&corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	src := fakeSources{{SourceStatus: reconcile.SourceStatus{Name: "apps", LastAppliedCommit: "a", LastAttemptedCommit: "a", LastAppliedAt: time.Now()}}}
	c := metrics.NewController(metrics.State{Sources: src, Store: st})
	var (
		_ controllers.Observer = c
		_ sources.Observer     = c
	)
	c.CommitDone("apps", sources.ResultApplied, time.Second, 1)
	c.Fetched("apps", time.Second, nil)
	c.QueueDepth("Pod", 1)
	c.StepDone("Pod", time.Millisecond, true)
	c.Scheduled(controllers.SchedulingStats{Scheduled: 1, Unschedulable: 1})
	c.ObserveRequest("get", "pods", 200, time.Millisecond)
	a := agentmetrics.New()
	a.PodSyncDone(time.Second, nil)
	a.ContainerRestarted()
	a.ProbeFailed(agent.Liveness)
	a.ProxySynced(proxy.SyncStats{Rules: 1}, nil)
	a.PodmanError("list")
	out := map[string]bool{}
	for _, reg := range []prometheus.Gatherer{c.Registry(), a.Registry()} {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			out[mf.GetName()] = true
		}
	}
	return out
}

type fakeSources []apitypes.SourceStatus

func (f fakeSources) Statuses() ([]apitypes.SourceStatus, error) { return f, nil }
