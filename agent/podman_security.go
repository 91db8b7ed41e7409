package agent

import (
	"context"
	"fmt"

	"github.com/containers/podman/v5/pkg/specgen"
	"k8s.io/utils/ptr"
)

// ImageUserReader is the optional part of a Runtime that reads an image's
// configured USER, for runAsNonRoot (PodmanRuntime has it).
type ImageUserReader interface {
	ImageUser(ctx context.Context, image string) (string, error)
}

// ImageUser returns the USER of a present image's config ("" when unset).
func (r *PodmanRuntime) ImageUser(ctx context.Context, image string) (string, error) {
	user, err := r.api.ImageUser(ctx, image)
	if err != nil {
		return "", fmt.Errorf("inspecting image %s for its user: %w", image, err)
	}
	return user, nil
}

// securitySpec copies a container's Security into Podman's spec generator.
// Unset fields keep Podman's defaults, except seccomp, which Security always
// decides (Kubernetes' default, Unconfined, is not Podman's).
func securitySpec(s *specgen.SpecGenerator, sec Security) {
	s.User = sec.User
	s.Groups = sec.Groups
	s.CapAdd = sec.CapAdd
	s.CapDrop = sec.CapDrop
	if sec.Privileged {
		s.Privileged = ptr.To(true)
	}
	if sec.ReadOnlyRoot {
		s.ReadOnlyFilesystem = ptr.To(true)
		// Kubernetes mounts no writable tmpfs on /tmp, /var/tmp and /run.
		s.ReadWriteTmpfs = ptr.To(false)
	}
	if sec.NoNewPrivileges {
		s.NoNewPrivileges = ptr.To(true)
	}
	s.SeccompProfilePath = sec.Seccomp
	s.Unmask = sec.Unmask
}
