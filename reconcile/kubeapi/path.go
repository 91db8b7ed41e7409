package kubeapi

import (
	"fmt"
	"net/url"
	"strings"
)

// PathKind says what a Kubernetes API path names.
type PathKind int

// The kinds of paths under /api and /apis.
const (
	// NotKube: a path outside the Kubernetes API (the product's own
	// routes under /api/v1 included: /api/v1/sources…).
	NotKube PathKind = iota
	// Discovery: /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.
	Discovery
	// ResourcePath: a collection, an object or its subresource.
	ResourcePath
)

// Path is a Kubernetes API path read into its parts.
type Path struct {
	Kind PathKind
	// Legacy: under /api (the core group) rather than /apis.
	Legacy         bool
	Group, Version string
	// Resource is the plural (pods, deployments); for a path that names an
	// unknown plural it is still set and Known is false.
	Resource    string
	Namespace   string
	Name        string
	Subresource string
	// Known: Resource is a kind the registry has at Group/Version.
	Known bool
}

// ParsePath reads an escaped URL path (r.URL.EscapedPath(), segments
// unescaped one by one as http.ServeMux does). Paths of the product's own
// routes are NotKube except the collections and objects of core kinds,
// whose paths Kubernetes and the product share (/api/v1/pods,
// /api/v1/nodes/NAME). An error means the path cannot be read (bad
// escapes): 400.
func ParsePath(escaped string) (Path, error) {
	segs, err := Segments(escaped)
	if err != nil {
		return Path{}, err
	}
	return ParseSegments(segs), nil
}

// ParseSegments is ParsePath over the path's Segments (a caller that has
// them already).
func ParseSegments(segs []string) Path {
	if len(segs) == 0 {
		return Path{}
	}
	switch segs[0] {
	case "api":
		p := Path{Legacy: true}
		if len(segs) == 1 {
			p.Kind = Discovery
			return p
		}
		if segs[1] != "v1" {
			return Path{}
		}
		p.Version = "v1"
		return resourcePath(p, segs[2:])
	case "apis":
		p := Path{}
		switch len(segs) {
		case 1:
			p.Kind = Discovery
			return p
		case 2:
			p.Kind, p.Group = Discovery, segs[1]
			return p
		}
		p.Group, p.Version = segs[1], segs[2]
		return resourcePath(p, segs[3:])
	}
	return Path{}
}

// resourcePath reads what follows /api/v1 or /apis/<g>/<v>:
// [namespaces/<ns>/]<plural>[/<name>[/<subresource>]].
func resourcePath(p Path, rest []string) Path {
	if len(rest) == 0 {
		p.Kind = Discovery
		return p
	}
	if rest[0] == "namespaces" && len(rest) >= 3 {
		// namespaces/<ns>/<plural>…, unless <plural> is a subresource of
		// the Namespace itself (status, finalize).
		if r, ok := Lookup(p.Group, p.Version, rest[2]); ok && r.Namespaced || !isNamespaceSubresource(rest[2]) {
			p.Namespace, rest = rest[1], rest[2:]
		}
	}
	if len(rest) > 3 {
		return Path{}
	}
	p.Kind, p.Resource = ResourcePath, rest[0]
	if len(rest) >= 2 {
		p.Name = rest[1]
	}
	if len(rest) == 3 {
		p.Subresource = rest[2]
	}
	r, ok := Lookup(p.Group, p.Version, p.Resource)
	p.Known = ok && (p.Namespace == "" || r.Namespaced)
	if p.Legacy && p.Namespace == "" && !p.Known {
		// /api/v1/sources, /api/v1/watch, /api/v1/diff/secrets…: the
		// product's own routes, not Kubernetes resources.
		return Path{}
	}
	return p
}

func isNamespaceSubresource(s string) bool { return s == "status" || s == "finalize" }

// Product reports whether the path is served by the product's own routes
// when the request is not a Kubernetes one: /api/v1/<plural>[/<name>[/sub]]
// without a namespace segment (its ?namespace= query names one).
func (p Path) Product() bool { return p.Legacy && p.Namespace == "" }

// Segments splits an escaped path on "/" and unescapes each segment,
// dropping empty ones, as http.ServeMux matches them (the authorizer reads
// the product's paths with it too).
func Segments(escaped string) ([]string, error) {
	// One allocation (the result) for the usual path: every API request's
	// authorization parses its path (BENCHMARKS.md, issue 13: heartbeats,
	// round 3).
	out := make([]string, 0, strings.Count(escaped, "/")+1)
	for rest := escaped; rest != ""; {
		var s string
		s, rest, _ = strings.Cut(rest, "/")
		if s == "" {
			continue
		}
		if strings.IndexByte(s, '%') >= 0 {
			u, err := url.PathUnescape(s)
			if err != nil {
				return nil, fmt.Errorf("path %q: %w", escaped, err)
			}
			s = u
		}
		out = append(out, s)
	}
	return out, nil
}
