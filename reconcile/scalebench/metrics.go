package scalebench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// requestsMetric counts the API requests the controller answered
// (reconcile/metrics: by verb, route and code).
const requestsMetric = "reconcile_api_requests_total"

// RequestsTotal scrapes the controller's /metrics (plain HTTP on
// loopback) and sums reconcile_api_requests_total over every label.
func RequestsTotal(ctx context.Context, addr string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	return sumCounter(resp.Body, requestsMetric)
}

// sumCounter sums the counter name over its series in the Prometheus text
// format (the library parses; a family absent is 0 requests).
func sumCounter(r io.Reader, name string) (float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	var sum float64
	if f, ok := fams[name]; ok {
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum, nil
}
