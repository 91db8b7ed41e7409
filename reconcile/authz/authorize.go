package authz

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/kubeapi"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Graph is what the node rules need to know of the store: which pods are
// bound to a node (Kubernetes' Node authorizer keeps the same graph), and
// the controller of an adopted pod.
type Graph interface {
	// PodsOn returns the pods with spec.nodeName == node in namespace (""
	// = every namespace). The caller does not modify them.
	PodsOn(node, namespace string) ([]*corev1.Pod, error)
	// Pod returns pod namespace/name, nil when there is none (one read,
	// where PodsOn scans a namespace). The caller does not modify it.
	Pod(namespace, name string) (*corev1.Pod, error)
	// Controller returns the object ref names in namespace when it exists
	// with ref's uid, else nil. The caller does not modify it.
	Controller(namespace string, ref metav1.OwnerReference) (objects.Object, error)
	// Ingresses returns the Ingresses of namespace: their spec.tls Secrets
	// are readable by every node, whose ingress proxy serves them (what
	// Kubernetes grants an ingress controller, narrowed to those Secrets).
	// The caller does not modify them.
	Ingresses(namespace string) ([]*networkingv1.Ingress, error)
}

// Decision is the authorizer's answer.
type Decision struct {
	Allowed bool
	// Message says, when denied, who cannot do what and why, in
	// Kubernetes' words.
	Message string
}

var allow = Decision{Allowed: true}

// Authorize decides whether id may make a request with attributes a. It
// reads nothing but g (for node identities). Lists and watches it allows
// a node may still see only some of their objects: filter them with
// Visible. An error is g's (the store could not be read).
func Authorize(id Identity, a Attributes, g Graph) (Decision, error) {
	switch id.Role {
	case RoleAdmin:
		return allow, nil
	case RoleDeployer, RoleViewer:
		return person(id, a), nil
	case RoleMetrics:
		if a.Path == "/metrics" && a.Verb == VerbGet {
			return allow, nil
		}
		return deny(id, a, "the metrics role may only read /metrics"), nil
	case RoleNode:
		return node(id, a, g)
	}
	return deny(id, a, "the identity has no known role"), nil
}

// person: viewers read; deployers read and drive the git sources.
func person(id Identity, a Attributes) Decision {
	if a.Resource == ResourceTokens {
		// A join token's list is small, but who may mint nodes is an
		// admin's business only.
		return deny(id, a, "join tokens are for admins only")
	}
	if a.Resource == ResourceSnapshot {
		// A snapshot holds every object, Secrets' values included.
		return deny(id, a, "store snapshots hold every Secret's value: admins only")
	}
	if a.Resource == ResourceUsers {
		// Who may do what, and listing who has credentials, is an admin's.
		return deny(id, a, "people's credentials are for admins only")
	}
	if a.Reveal {
		return deny(id, a, fmt.Sprintf("a %s never sees Secret values (ask without --reveal; only an admin may reveal them)", id.Role))
	}
	if isRead(a.Verb) {
		// Everything but Secret values is readable, logs included (as
		// Kubernetes' view role may read pods/log); unknown paths too, so
		// that they answer 404.
		return allow
	}
	if id.Role == RoleDeployer && a.Verb == VerbCreate && a.Subresource == "" &&
		(a.Resource == ResourceSync || a.Resource == ResourceRollback || a.Resource == ResourceResume) {
		return allow
	}
	// Comparing Secret values answers "is the stored value this one?": an
	// oracle for guessing values, so only roles trusted with the desired
	// state may ask. A deployer runs `reconcile diff` before pushing what it
	// deploys; a viewer has no use for it.
	if id.Role == RoleDeployer && a.Verb == VerbCreate && a.Resource == "secrets" && a.Subresource == SubDiff {
		return allow
	}
	if id.Role == RoleDeployer {
		return deny(id, a, "a deployer reads, syncs, rolls back, resumes and diffs; objects change through git")
	}
	return deny(id, a, "a viewer only reads")
}

func isRead(v Verb) bool { return v == VerbGet || v == VerbList || v == VerbWatch }

// node is Kubernetes' Node authorizer for reconcile's routes.
func node(id Identity, a Attributes, g Graph) (Decision, error) {
	if a.NonResource() {
		if a.Verb == VerbGet && isDiscovery(a.Path) {
			return allow, nil // discovery, as Kubernetes' system:discovery grants every authenticated identity
		}
		return deny(id, a, "a node may use only the API routes its agent needs"), nil
	}
	n := id.Node
	switch a.Resource {
	case "":
		if a.Verb == VerbWatch {
			return allow, nil // every event is filtered by Visible
		}
	case "nodes":
		switch {
		case isRead(a.Verb) && a.Subresource == "":
			return allow, nil // every Node: the pod network routes to each node's podCIDR
		case a.Verb == VerbCreate && a.Subresource == "" && a.Name == "":
			return allow, nil // registration: Admit checks the body names this node
		case (a.Verb == VerbUpdate && (a.Subresource == SubHeartbeat || a.Subresource == SubReady || a.Subresource == SubUsage)) ||
			(a.Verb == VerbCreate && a.Subresource == SubCertificate): // renewal of its own certificate
			if a.Name == n {
				return allow, nil
			}
			return deny(id, a, fmt.Sprintf("node %s may write only its own Node, not %q", n, a.Name)), nil
		}
		return deny(id, a, fmt.Sprintf("node %s may read Nodes, register itself, post its own heartbeat, readiness and pod usage and renew its own certificate", n)), nil
	case "pods":
		switch {
		case (a.Verb == VerbList || a.Verb == VerbWatch) && a.Subresource == "":
			return allow, nil // filtered to the node's pods by Visible
		case a.Verb == VerbCreate && a.Subresource == SubAdopt:
			return allow, nil // Admit checks the pod is bound to this node
		case (a.Verb == VerbGet && a.Subresource == "") ||
			(a.Verb == VerbUpdate && a.Subresource == SubStatus) ||
			(a.Verb == VerbDelete && a.Subresource == ""):
			bound, err := podBound(g, n, a.Namespace, a.Name)
			if err != nil || bound {
				return allow, err
			}
			return deny(id, a, fmt.Sprintf("no pod %s/%s is bound to node %s", a.Namespace, a.Name, n)), nil
		}
		return deny(id, a, fmt.Sprintf("node %s may read its pods and write their status, finalize and adopt them", n)), nil
	case "configmaps", "secrets":
		kind := map[string]string{"configmaps": "configmap", "secrets": "secret"}[a.Resource]
		switch {
		case (a.Verb == VerbList || a.Verb == VerbWatch) && a.Subresource == "":
			return allow, nil // filtered to referenced ones by Visible
		case a.Verb == VerbGet && a.Subresource == "":
			refs, err := referenced(g, n, a.Namespace)
			if err != nil {
				return Decision{}, err
			}
			if refs.has(a.Resource, a.Name) {
				return allow, nil
			}
			return deny(id, a, fmt.Sprintf("no pod bound to node %s references %s %s/%s", n, kind, a.Namespace, a.Name)), nil
		}
		return deny(id, a, fmt.Sprintf("node %s may only read the %ss its pods reference", n, kind)), nil
	case "services", "endpoints", "ingresses", "ingressclasses":
		if isRead(a.Verb) && a.Subresource == "" {
			return allow, nil // the proxies and the DNS server need all of them
		}
		return deny(id, a, fmt.Sprintf("node %s may only read %s", n, a.Resource)), nil
	case "events":
		if a.Verb == VerbCreate && a.Subresource == "" && a.Name == "" {
			return allow, nil // Admit checks the event is about this node or its pods
		}
		return deny(id, a, fmt.Sprintf("node %s may only create events about itself and its pods", n)), nil
	case ResourceCluster:
		if a.Verb == VerbGet {
			return allow, nil // the cluster ID, which labels the node's Podman objects
		}
	}
	return deny(id, a, "a node may use only what its agent needs (its pods, their ConfigMaps and Secrets, Nodes, Services, Endpoints, the cluster ID)"), nil
}

// isDiscovery: the Kubernetes API's discovery documents and version.
func isDiscovery(path string) bool {
	if path == "/version" || path == "/api" || path == "/api/v1" || path == "/apis" {
		return true
	}
	kp, err := kubeapi.ParsePath(path)
	return err == nil && kp.Kind == kubeapi.Discovery && !kp.Legacy
}

// podBound reports whether pod ns/name is bound to node.
func podBound(g Graph, node, ns, name string) (bool, error) {
	p, err := g.Pod(ns, name)
	if err != nil {
		return false, fmt.Errorf("authorizing node %s: reading pod %s/%s: %w", node, ns, name, err)
	}
	return p != nil && p.Spec.NodeName == node, nil
}

// nsRefs is what the pods of one node in one namespace reference.
type nsRefs struct{ configMaps, secrets map[string]bool }

func (r nsRefs) has(resource, name string) bool {
	if resource == "secrets" {
		return r.secrets[name]
	}
	return r.configMaps[name]
}

func referenced(g Graph, node, ns string) (nsRefs, error) {
	pods, err := g.PodsOn(node, ns)
	if err != nil {
		return nsRefs{}, fmt.Errorf("authorizing node %s: listing its pods: %w", node, err)
	}
	out := nsRefs{configMaps: map[string]bool{}, secrets: map[string]bool{}}
	ings, err := g.Ingresses(ns)
	if err != nil {
		return nsRefs{}, fmt.Errorf("authorizing node %s: listing Ingresses: %w", node, err)
	}
	for _, ing := range ings {
		for _, t := range ing.Spec.TLS {
			if t.SecretName != "" {
				out.secrets[t.SecretName] = true
			}
		}
	}
	for _, p := range pods {
		if p.Namespace != ns {
			continue
		}
		r, err := granted(p, g)
		if err != nil {
			return nsRefs{}, err
		}
		for k := range r.ConfigMaps {
			out.configMaps[k] = true
		}
		for k := range r.Secrets {
			out.secrets[k] = true
		}
	}
	return out, nil
}

// Visibility returns a filter saying whether id may see an object of a
// list or watch it was allowed (Authorize). Roles other than node see
// everything. For a node: its own pods (by the object's spec.nodeName),
// every Node, Service, Endpoints, Ingress and IngressClass, the ConfigMaps
// and Secrets its pods reference and the Secrets Ingresses' tls names;
// nothing else. The filter remembers each namespace's
// references: make one per list, and one per watch event (references
// change as pods come and go). AudienceOf answers for every node at once.
func Visibility(id Identity, g Graph) func(objects.Object) (bool, error) {
	if id.Role != RoleNode {
		return func(objects.Object) (bool, error) { return true, nil }
	}
	refs := map[string]nsRefs{}
	return func(o objects.Object) (bool, error) {
		switch o := o.(type) {
		case *corev1.Pod:
			return o.Spec.NodeName == id.Node, nil
		case *corev1.ConfigMap, *corev1.Secret:
			ns := o.GetNamespace()
			r, ok := refs[ns]
			if !ok {
				var err error
				if r, err = referenced(g, id.Node, ns); err != nil {
					return false, err
				}
				refs[ns] = r
			}
			if _, isSecret := o.(*corev1.Secret); isSecret {
				return r.secrets[o.GetName()], nil
			}
			return r.configMaps[o.GetName()], nil
		}
		return everyNodeSees(o), nil
	}
}

// deny builds the Kubernetes-style sentence: `node "node:a" cannot get
// resource "secrets" in namespace "shop": why`.
func deny(id Identity, a Attributes, why string) Decision {
	msg := id.subject() + " cannot " + string(a.Verb)
	switch {
	case a.NonResource():
		msg += " path " + strconv.Quote(a.Path)
	default:
		res := a.Resource
		if res == "" {
			res = "*"
		}
		if a.Subresource != "" {
			res += "/" + a.Subresource
		}
		msg += " resource " + strconv.Quote(res)
		if a.Reveal {
			msg += " with Secret values (reveal=true)"
		}
		if a.Namespace != "" {
			msg += " in namespace " + strconv.Quote(a.Namespace)
		}
	}
	if why != "" {
		msg += ": " + why
	}
	return Decision{Message: msg}
}
