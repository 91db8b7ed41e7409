package main

import (
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// controllerOnly are packages a node does not need whose init work and
// data every process linking them pays for (BENCHMARKS.md "Issue 13: agent
// memory (round 3)"): the store and its engines, the schema, the
// controllers and the API server, the web UI, git, plotting.
var controllerOnly = []string{
	"github.com/reconcile-dev/reconcile/reconcile/store",
	"github.com/reconcile-dev/reconcile/reconcile/controllers",
	"github.com/reconcile-dev/reconcile/reconcile/apiserver",
	"github.com/reconcile-dev/reconcile/schema",
	"github.com/reconcile-dev/reconcile/scheduler",
	"github.com/dgraph-io/badger/v4",
	"go.etcd.io/etcd/client/v3",
	"go.etcd.io/etcd/server/v3/embed",
	"cuelang.org/go/cue",
	"github.com/go-git/go-git/v5",
	"gonum.org/v1/plot",
}

// imageClosure is what the Podman bindings' sub-packages link (bindings/
// containers, images, pods, network, system, volumes and the entities
// types they share import containers/common/libimage (define, manifests) and, through it,
// every containers/image transport and buildah): ~16 MB of the node binary
// and ~10 MiB of the agent's RSS (BENCHMARKS.md "Issue 13: agent memory
// (round 4)"). The agent calls the libpod API through agent/libpod with the
// bindings' connection alone.
var imageClosure = []string{
	"github.com/containers/podman/v5/pkg/bindings/containers",
	"github.com/containers/podman/v5/pkg/bindings/images",
	"github.com/containers/podman/v5/pkg/bindings/pods",
	"github.com/containers/podman/v5/pkg/bindings/network",
	"github.com/containers/podman/v5/pkg/bindings/system",
	"github.com/containers/podman/v5/pkg/bindings/volumes",
	"github.com/containers/podman/v5/pkg/domain/entities/types",
	"github.com/containers/podman/v5/pkg/api/handlers",
	"github.com/containers/common/libimage/define",
	"github.com/containers/common/libimage/manifests",
	"github.com/containers/image/v5/copy",
	"github.com/containers/image/v5/docker",
	"github.com/containers/image/v5/docker/daemon",
	"github.com/containers/image/v5/oci/layout",
	"github.com/containers/image/v5/storage",
	"github.com/containers/image/v5/pkg/blobinfocache/sqlite",
	"github.com/sigstore/sigstore/pkg/signature",
	"github.com/containers/buildah/define",
	"github.com/mattn/go-sqlite3",
	"github.com/docker/docker/client",
}

// TestNodeBinaryImports fails when the node binary links a controller-only
// package again (an import added to agent/agentcmd or below it); `go list
// -deps` says which.
func TestNodeBinaryImports(t *testing.T) {
	deps := testkit.Deps(t, "github.com/reconcile-dev/reconcile/agent/agentcmd")
	for _, p := range controllerOnly {
		if deps[p] {
			t.Errorf("reconcile-agent links %s: find the import with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/reconcile-agent | grep %s` and cut it", p, p)
		}
	}
	for _, p := range imageClosure {
		if deps[p] {
			t.Errorf("reconcile-agent links %s, the Podman bindings' image closure: call the endpoint through agent/libpod instead of a bindings sub-package (find the import with `go list -deps -f '{{.ImportPath}}: {{.Imports}}' ./cmd/reconcile-agent | grep %s`)", p, p)
		}
	}
	if !deps["github.com/containers/podman/v5/pkg/bindings"] {
		t.Errorf("reconcile-agent does not link the Podman bindings' connection (pkg/bindings): the agent reaches Podman through it")
	}
}
