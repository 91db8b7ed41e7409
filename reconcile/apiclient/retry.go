package apiclient

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetries bounds how often one request is retried after 429s asking
// for it (client-go's default for Retry-After answers is 10).
const maxRetries = 10

// maxRetryAfter caps the wait a server may ask for.
const maxRetryAfter = time.Minute

// retryAfter is the wait a 429 TooManyRequests answer asks for in its
// Retry-After header (whole seconds, as kube-apiserver sends it). A 429
// without the header is a refusal, not load shedding (an eviction a
// PodDisruptionBudget holds back): the caller decides, nothing is retried.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || secs < 0 {
		return 0, false
	}
	return min(time.Duration(secs)*time.Second, maxRetryAfter), true
}

// jittered spreads a wait d over [d, 2d) by r in [0, 1): clients shed at
// the same moment come back spread over the next interval. It is pure.
func jittered(d time.Duration, r float64) time.Duration {
	if d <= 0 {
		d = 100 * time.Millisecond
	}
	return d + time.Duration(float64(d)*r)
}
