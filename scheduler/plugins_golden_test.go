package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"
)

// pluginCase is one case of testdata/plugins/*.yaml: the cluster, the
// incoming pod, and each node's verdict from one plugin: its filter
// reason ("" = fits) or its normalised score. The cases are taken from
// the Kubernetes scheduler's own tests for the same plugin.
type pluginCase struct {
	Name  string         `json:"name"`
	Nodes []*corev1.Node `json:"nodes"`
	Bound []*corev1.Pod  `json:"bound"`
	Pod   *corev1.Pod    `json:"pod"`
	// Failed names nodes an earlier filter rejected: they are in the
	// cluster but not scored (Kubernetes' failedNodes).
	Failed []string          `json:"failed"`
	Fits   map[string]string `json:"fits"`  // filter cases
	Score  map[string]int64  `json:"score"` // score cases
}

var pluginsByName = map[string]any{
	"NodeAffinity":                    NodeAffinity{},
	"InterPodAffinity":                InterPodAffinity{},
	"PodTopologySpread":               PodTopologySpread{},
	"TaintToleration":                 TaintToleration{},
	"NodeResourcesBalancedAllocation": BalancedAllocation{},
	"ImageLocality":                   ImageLocality{},
}

// TestPluginCases runs every testdata/plugins/<Plugin>.yaml case against
// the plugin named by the file.
func TestPluginCases(t *testing.T) {
	files, _ := filepath.Glob("testdata/plugins/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/plugins/*.yaml")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		pl, ok := pluginsByName[name]
		if !ok {
			t.Fatalf("%s: no plugin %q", f, name)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []pluginCase
		if err := yaml.UnmarshalStrict(data, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range cases {
			t.Run(name+"/"+tc.Name, func(t *testing.T) {
				if tc.Fits != nil {
					got := runFilter(pl.(FilterPlugin), tc)
					if d := diffVerdicts(got, tc.Fits); d != "" {
						t.Errorf("filter verdicts differ (got, want):\n%s", d)
					}
				}
				if tc.Score != nil {
					got := runScore(pl.(ScorePlugin), tc)
					if d := diffVerdicts(got, tc.Score); d != "" {
						t.Errorf("scores differ (got, want):\n%s", d)
					}
				}
			})
		}
	}
}

// caseCluster completes the case's objects (every node Ready with room
// for 110 pods unless it says otherwise, pods in "default") and builds
// the NodeInfos.
func caseCluster(tc pluginCase) ([]*NodeInfo, *PodInfo) {
	for _, n := range tc.Nodes {
		if n.Status.Allocatable == nil {
			n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")}
		}
		if _, ok := n.Status.Allocatable[corev1.ResourcePods]; !ok {
			n.Status.Allocatable[corev1.ResourcePods] = resource.MustParse("110")
		}
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	}
	for _, p := range append(tc.Bound, tc.Pod) {
		if p.Namespace == "" {
			p.Namespace = "default"
		}
		if len(p.Spec.Containers) == 0 {
			p.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
		}
	}
	return newNodeInfos(tc.Nodes, tc.Bound), newPodInfo(tc.Pod)
}

func runFilter(f FilterPlugin, tc pluginCase) map[string]string {
	infos, p := caseCluster(tc)
	skip := false
	if pf, ok := f.(PreFilterPlugin); ok {
		skip = !pf.PreFilter(p, infos[0].cluster)
	}
	out := map[string]string{}
	for _, n := range infos {
		if !skip {
			out[n.Node.Name] = strings.Join(f.Filter(p, n), "; ")
		} else {
			out[n.Node.Name] = ""
		}
	}
	return out
}

// runScore scores the nodes not listed as failed, as place does (a
// skipped plugin scores 0 everywhere).
func runScore(s ScorePlugin, tc pluginCase) map[string]int64 {
	all, p := caseCluster(tc)
	var infos []*NodeInfo
	for _, n := range all {
		if !slices.Contains(tc.Failed, n.Node.Name) {
			infos = append(infos, n)
		}
	}
	scores := make([]int64, len(infos))
	if ps, ok := s.(PreScorePlugin); !ok || ps.PreScore(p, all[0].cluster, infos) {
		for i, n := range infos {
			scores[i] = s.Score(p, n)
		}
		if nz, ok := s.(Normalizer); ok {
			nz.Normalize(p, infos, scores)
		}
	}
	out := map[string]int64{}
	for i, n := range infos {
		out[n.Node.Name] = scores[i]
	}
	return out
}

func diffVerdicts[V comparable](got, want map[string]V) string {
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if got[k] != want[k] {
			fmt.Fprintf(&b, "  %s: %v, want %v\n", k, got[k], want[k])
		}
	}
	return b.String()
}
