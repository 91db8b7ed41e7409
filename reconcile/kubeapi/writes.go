package kubeapi

import (
	"fmt"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// Location is where an object comes from in git: the annotations
// reconcile.dev/source, reconcile.dev/source-path and reconcile.dev/commit,
// and the line of its document in that file at that commit (0: unknown).
type Location struct {
	Source, Path, Commit string
	Line                 int
	// Owner names the controller of an object the system made (a
	// ReplicaSet's Deployment, a Pod's ReplicaSet): "Deployment demo/web".
	Owner string
}

// WriteRefused is the 405 Status of a write (kubectl apply, create, edit,
// delete, scale…): desired state changes only through git, so the message
// says where. obj is "deployments \"web\" in namespace \"demo\"" style;
// loc nil means the object does not exist or came from no source: add it
// to one of sources in git.
func WriteRefused(verb, resource, namespace, name string, loc *Location, sources []string) *apierrors.Error {
	what := resource
	if name != "" {
		what += fmt.Sprintf(" %q", name)
	}
	if namespace != "" {
		what += fmt.Sprintf(" in namespace %q", namespace)
	}
	head := fmt.Sprintf("reconcile serves a read-only Kubernetes API: cannot %s %s; desired state changes only through git: ", verb, what)
	var where string
	switch {
	case loc != nil && loc.Source != "":
		file := loc.Path
		if file == "" {
			file = "its file"
		} else if loc.Line > 0 {
			file = fmt.Sprintf("%s:%d", file, loc.Line)
		}
		where = fmt.Sprintf("change %s in source %q (as of commit %s), commit and push", file, loc.Source, short(loc.Commit))
	case loc != nil && loc.Owner != "":
		where = fmt.Sprintf("the system made it for %s: change that object in git, commit and push", loc.Owner)
	case loc != nil:
		where = "the system made it (it comes from no git source): change what it derives from in git"
	default:
		where = "add it to " + sourceWords(sources) + " in git, commit and push"
	}
	return apierrors.New(apierrors.ReasonMethodNotAllowed, "%s%s", head, where)
}

func sourceWords(sources []string) string {
	switch len(sources) {
	case 0:
		return "a source's repository"
	case 1:
		return fmt.Sprintf("source %q", sources[0])
	}
	return "one of the sources " + strings.Join(sources, ", ")
}

func short(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

// VerbOfMethod is the Kubernetes verb of a write method, for messages.
func VerbOfMethod(method, subresource string) string {
	switch {
	case subresource == "scale":
		return "scale"
	case method == "POST":
		return "create"
	case method == "PUT":
		return "update"
	case method == "PATCH":
		return "patch"
	case method == "DELETE":
		return "delete"
	}
	return strings.ToLower(method)
}
