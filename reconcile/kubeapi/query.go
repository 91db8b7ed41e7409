package kubeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"k8s.io/apimachinery/pkg/labels"
)

// ListOptions are the query parameters of a list or watch, as
// metav1.ListOptions.
type ListOptions struct {
	Labels labels.Selector
	Fields FieldSelector
	// Limit is the page size; 0 = everything.
	Limit int64
	// Continue is the decoded continue token of the previous page.
	Continue *ContinueToken
	// ResourceVersion of a watch: events after it; "" or "0" start with
	// the objects that exist (synthetic ADDED events).
	ResourceVersion string
	Watch           bool
	// TimeoutSeconds ends a watch after so long (0: when the client goes).
	TimeoutSeconds int64
	// AllowBookmarks: the client takes BOOKMARK events.
	AllowBookmarks bool
	// IncludeObject of a Table's rows: None, Metadata (default), Object.
	IncludeObject string
}

// ParseListOptions reads the query of a list or watch for kind (the field
// selector's fields depend on it). Errors are the client's (400).
func ParseListOptions(q url.Values, kind string) (ListOptions, error) {
	var o ListOptions
	var err error
	if o.Labels, err = labels.Parse(q.Get("labelSelector")); err != nil {
		return o, fmt.Errorf("labelSelector %q: %v", q.Get("labelSelector"), err)
	}
	if o.Fields, err = ParseFieldSelector(q.Get("fieldSelector"), kind); err != nil {
		return o, err
	}
	if v := q.Get("limit"); v != "" {
		if o.Limit, err = strconv.ParseInt(v, 10, 64); err != nil || o.Limit < 0 {
			return o, fmt.Errorf("limit %q: not a number ≥ 0", v)
		}
	}
	if v := q.Get("continue"); v != "" {
		t, err := DecodeContinue(v)
		if err != nil {
			return o, err
		}
		o.Continue = &t
	}
	o.ResourceVersion = q.Get("resourceVersion")
	if o.ResourceVersion != "" {
		if _, err := strconv.ParseUint(o.ResourceVersion, 10, 64); err != nil {
			return o, fmt.Errorf("resourceVersion %q: not a number (take it from a list's metadata.resourceVersion)", o.ResourceVersion)
		}
	}
	if o.Watch, err = boolParam(q, "watch"); err != nil {
		return o, err
	}
	if o.AllowBookmarks, err = boolParam(q, "allowWatchBookmarks"); err != nil {
		return o, err
	}
	if v := q.Get("timeoutSeconds"); v != "" {
		if o.TimeoutSeconds, err = strconv.ParseInt(v, 10, 64); err != nil || o.TimeoutSeconds < 0 {
			return o, fmt.Errorf("timeoutSeconds %q: not a number ≥ 0", v)
		}
	}
	switch o.IncludeObject = q.Get("includeObject"); o.IncludeObject {
	case "":
		o.IncludeObject = IncludeMetadata
	case IncludeNone, IncludeMetadata, IncludeObject:
	default:
		return o, fmt.Errorf("includeObject %q: use None, Metadata or Object", o.IncludeObject)
	}
	return o, nil
}

// The values of includeObject.
const (
	IncludeNone     = "None"
	IncludeMetadata = "Metadata"
	IncludeObject   = "Object"
)

// IsWatch reports whether the query asks for a watch (?watch=1|true).
func IsWatch(q url.Values) bool {
	w, err := boolParam(q, "watch")
	return err == nil && w
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s %q: use true or false", name, v)
	}
	return b, nil
}

// ContinueToken is where the next page of a list starts. It is opaque to
// clients (base64 of JSON). The store keeps no snapshot of an earlier
// resourceVersion, so a page lists the objects that exist when it is asked
// for, after the last key of the previous page: an object created or
// deleted between pages may be missed or seen (Kubernetes' "inconsistent
// continue" after compaction, which it offers as the fallback).
type ContinueToken struct {
	// ResourceVersion of the first page, answered again by every page.
	ResourceVersion uint64 `json:"rv"`
	// After is the last "namespace/name" of the previous page.
	After string `json:"after"`
}

// Encode is the token's wire form.
func (t ContinueToken) Encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeContinue reads a token Encode made.
func DecodeContinue(s string) (ContinueToken, error) {
	var t ContinueToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.After == "" {
		return ContinueToken{}, fmt.Errorf("continue key is not valid: take it from the previous page's metadata.continue")
	}
	return t, nil
}
