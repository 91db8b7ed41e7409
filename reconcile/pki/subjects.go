package pki

import (
	"crypto/x509/pkix"
	"fmt"
	"strings"
)

// Subject names of the identities a cluster's certificates carry. The
// authorizer (package reconcile/authz) reads them back.
const (
	// NodePrefix starts the common name of a node's certificate.
	NodePrefix = "node:"
	// GroupNodes is the organization of every node certificate.
	GroupNodes = "reconcile:nodes"
	// ControllerName is the common name of the controller's own client
	// certificate, the one agents' log servers accept.
	ControllerName = "reconcile:controller"
	// GroupControllers is its organization.
	GroupControllers = "reconcile:controllers"
)

// Roles a person's certificate may carry (its organization).
var Roles = []string{"admin", "deployer", "viewer", "metrics"}

// NodeSubject is the subject of node name's client certificate.
func NodeSubject(name string) pkix.Name {
	return pkix.Name{CommonName: NodePrefix + name, Organization: []string{GroupNodes}}
}

// UserSubject is the subject of a person's client certificate.
func UserSubject(user, role string) pkix.Name {
	return pkix.Name{CommonName: user, Organization: []string{role}}
}

// ControllerSubject is the subject of the controller's client certificate.
func ControllerSubject() pkix.Name {
	return pkix.Name{CommonName: ControllerName, Organization: []string{GroupControllers}}
}

// NodeName is the node a subject names, "" when it is no node's.
func NodeName(s pkix.Name) string {
	if !strings.HasPrefix(s.CommonName, NodePrefix) || len(s.Organization) != 1 || s.Organization[0] != GroupNodes {
		return ""
	}
	return strings.TrimPrefix(s.CommonName, NodePrefix)
}

// CheckRole says whether role is one a person may hold.
func CheckRole(role string) error {
	for _, r := range Roles {
		if r == role {
			return nil
		}
	}
	return fmt.Errorf("unknown role %q: use one of %s", role, strings.Join(Roles, ", "))
}

// ServingSubject is the subject of the API's serving certificate.
func ServingSubject() pkix.Name {
	return pkix.Name{CommonName: "reconcile-apiserver", Organization: []string{GroupControllers}}
}
