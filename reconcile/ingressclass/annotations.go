package ingressclass

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Annotations of an Ingress that tune its routes. The names mirror
// ingress-nginx's nginx.ingress.kubernetes.io/proxy-read-timeout and
// proxy-body-size, with the same value syntax.
const (
	// AnnotationReadTimeout: seconds to wait for the backend's response
	// headers (default 60, as nginx's proxy_read_timeout).
	AnnotationReadTimeout = "reconcile.dev/proxy-read-timeout"
	// AnnotationBodySize: the largest request body, as nginx's
	// client_max_body_size ("8m", "512k", "1g", bytes; "0" = no limit,
	// the default); a larger request is answered 413.
	AnnotationBodySize = "reconcile.dev/proxy-body-size"
)

// maxReadTimeoutSeconds bounds the read timeout (a year), far below a
// time.Duration's overflow.
const maxReadTimeoutSeconds = 365 * 24 * 3600

// DefaultReadTimeout is nginx's proxy_read_timeout default.
const DefaultReadTimeout = 60 * time.Second

// ParseReadTimeout reads AnnotationReadTimeout's value: whole seconds, or
// a Go duration such as "90s" or "2m".
func ParseReadTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 || n > maxReadTimeoutSeconds {
			return 0, fmt.Errorf("%s: %q must be a number of seconds from 1 to %d (a year), e.g. \"120\"", AnnotationReadTimeout, v, maxReadTimeoutSeconds)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > maxReadTimeoutSeconds*time.Second {
		return 0, fmt.Errorf("%s: %q is not a number of seconds (e.g. \"120\") nor a duration (e.g. \"2m\")", AnnotationReadTimeout, v)
	}
	return d, nil
}

// ParseBodySize reads AnnotationBodySize's value in nginx's size syntax:
// bytes, or a number with k/K, m/M, g/G (powers of 1024); 0 is no limit.
func ParseBodySize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:len(s)-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:len(s)-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%s: %q is not a size: write bytes or a number with k, m or g, e.g. \"8m\" (\"0\": no limit)", AnnotationBodySize, v)
	}
	return n * mult, nil
}

// AnnotationErrors checks the annotations this controller reads (the
// schema's semantic checks call it, so a bad value refuses the commit).
func AnnotationErrors(annotations map[string]string) map[string]error {
	out := map[string]error{}
	if v, ok := annotations[AnnotationReadTimeout]; ok {
		if _, err := ParseReadTimeout(v); err != nil {
			out[AnnotationReadTimeout] = err
		}
	}
	if v, ok := annotations[AnnotationBodySize]; ok {
		if _, err := ParseBodySize(v); err != nil {
			out[AnnotationBodySize] = err
		}
	}
	return out
}
