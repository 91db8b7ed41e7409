package objects

// Labels and annotations the product writes. The reconcile.* Podman labels
// are a user-facing contract (DESIGN.md §5).
const (
	// LabelPodmanPod is set on Podman pods and containers: "<namespace>/<name>".
	LabelPodmanPod = "reconcile.pod"
	// LabelPodmanUID is the Pod's uid on Podman pods and containers.
	LabelPodmanUID = "reconcile.uid"
	// LabelPodmanContainer is the container name of the Pod spec.
	LabelPodmanContainer = "reconcile.container"

	// AnnotationSource names the source that created an object from git;
	// pruning only ever deletes objects carrying its own source name.
	AnnotationSource = "reconcile.dev/source"
	// AnnotationSourcePath is the file (and document index) an object came from.
	AnnotationSourcePath = "reconcile.dev/source-path"
	// AnnotationCommit is the commit that last applied the object.
	AnnotationCommit = "reconcile.dev/commit"
	// AnnotationAdoptedFromNode is set by the API server on a pod an agent
	// reported for adoption (POST /api/v1/pods/adopt): the node it came from.
	// Such a pod lets its node read only the ConfigMaps and Secrets its
	// controller's pod template references too (reconcile/authz).
	AnnotationAdoptedFromNode = "reconcile.dev/adopted-from-node"

	// AnnotationCertificateNotAfter is set by a node's agent on its own
	// Node: when the node's client certificate expires (RFC 3339). `get
	// nodes -o wide` and `describe node` show it.
	AnnotationCertificateNotAfter = "node.reconcile.dev/certificate-not-after"

	// LabelPodTemplateHash is Kubernetes' label on ReplicaSets and their pods.
	LabelPodTemplateHash = "pod-template-hash"
)
