// Package authz decides who may call the API server and what they may do,
// in Kubernetes' terms: authentication gives an Identity (a verified client
// certificate, else the admin bearer token), authorization decides a
// request's Attributes for that Identity, and admission checks the bodies
// a node writes (Kubernetes' NodeRestriction).
//
// Identities (the shared contract of issue 9, package reconcile/pki makes
// the certificates):
//
//	CN "node:<name>", O "reconcile:nodes"        role node, Node = <name>
//	CN "<user>", O "admin"|"deployer"|"viewer"   that role, Name = <user>
//	Authorization: Bearer <DATA/api-token>       role admin
//
// Roles:
//
//	admin     everything
//	deployer  read everything but Secret values; sync, rollback (which
//	          pins), resume, history; compare Secrets (diff); no writes of
//	          objects, no node writes
//	viewer    read everything but Secret values; history, sources
//	node      what its agent needs, for its own objects only (Kubernetes'
//	          Node authorizer): its pods, the ConfigMaps and Secrets they
//	          reference (values included), every Node (the pod network
//	          routes to each node's podCIDR), Services and Endpoints (proxy
//	          and DNS), Ingresses, IngressClasses and the Secrets named in
//	          an Ingress's spec.tls (the ingress proxy), the cluster ID; writes to its own Node (register,
//	          heartbeat, ready; never spec.podCIDR), its pods' status,
//	          finalization and adoption, and events about its pods or its
//	          Node
//
// The authorizer is pure over its inputs: Authorize(Identity, Attributes,
// Graph) where Graph answers which pods are bound to a node, one pod, and
// an adopted pod's controller (the API server reads them from the store). Lists and watches a node may make are
// allowed whole and filtered object by object with Visible, so a node's
// watch never carries another node's pod or an unreferenced Secret.
//
// Denials read like Kubernetes':
//
//	node "node:a" cannot get resource "secrets" in namespace "shop": no pod bound to node a references secret shop/db
package authz
