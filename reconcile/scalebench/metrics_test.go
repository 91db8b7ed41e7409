package scalebench

import (
	"strings"
	"testing"
)

func TestSumCounter(t *testing.T) {
	text := `# HELP reconcile_api_requests_total API requests answered.
# TYPE reconcile_api_requests_total counter
reconcile_api_requests_total{code="200",route="pods",verb="list"} 10
reconcile_api_requests_total{code="200",route="nodes/status",verb="update"} 32.5
reconcile_api_requests_total{code="409",route="pods/status",verb="update"} 2
# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 40
`
	for _, tc := range []struct {
		name string
		want float64
	}{
		{requestsMetric, 44.5},
		{"reconcile_absent_total", 0},
	} {
		got, err := sumCounter(strings.NewReader(text), tc.name)
		if err != nil || got != tc.want {
			t.Errorf("sumCounter(%s) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := sumCounter(strings.NewReader("not { metrics"), requestsMetric); err == nil {
		t.Error("bad text: no error")
	}
}
