// Package libpod calls the Podman service's libpod REST API (the API the
// Podman v5 Go bindings call) for the node agent: one function per endpoint
// the agent uses, with the agent's own small request and response types.
//
// Why not the bindings' sub-packages (bindings/containers, images, pods,
// network, system, volumes and domain/entities/types): each imports
// containers/common/libimage and, through it, every containers/image
// transport (the Docker daemon client, sigstore, SQLite's blob-info cache,
// OpenTelemetry): about 28 MB of the 60 MB node binary and ~18 MiB of the
// agent's RSS for JSON the agent could decode itself (BENCHMARKS.md "Issue
// 13: agent memory (round 3)" and "(round 4)"). What is kept from the
// bindings is what is light: the connection (pkg/bindings: the unix/ssh/tcp
// dialers, the /v<version>/libpod prefix, the version handshake and
// APIResponse.Process), the error model (pkg/errorhandling) and the
// request types (pkg/specgen, containers/common/libnetwork/types).
//
// Each function does what the binding of the same endpoint does (same
// method, path, query parameters and body; the binding's name is in its
// comment), so the service sees the same requests as before.
// cmd/reconcile-agent's TestNodeBinaryImports keeps the bindings'
// sub-packages, libimage, the image transports and buildah out of the node
// binary.
package libpod
