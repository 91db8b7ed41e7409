package agent

import (
	"context"
	"errors"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// security resolves a container's securityContext before it is created:
// the image's USER when the decision needs it, runAsNonRoot, and a
// Localhost seccomp profile that must exist on this node. Every refusal is a
// configuration error: the container waits with CreateContainerConfigError.
func (a *Agent) security(ctx context.Context, pod *corev1.Pod, c *corev1.Container) (Security, error) {
	imageUser := ""
	if needsImageUser(pod, c) {
		r, ok := a.opts.Runtime.(ImageUserReader)
		if !ok {
			return Security{}, configErrorf("container %s: runAsNonRoot without runAsUser needs the image's user, which this runtime cannot read; set runAsUser", c.Name)
		}
		u, err := r.ImageUser(ctx, c.Image)
		if err != nil {
			return Security{}, err // transient: the next sync asks again
		}
		imageUser = u
	}
	if err := verifyRunAsNonRoot(pod, c, imageUser); err != nil {
		return Security{}, err
	}
	sec, err := containerSecurity(pod, c, imageUser, SecurityDefaults{SeccompDir: SeccompDir(a.opts.DataDir), RuntimeDefaultSeccomp: a.opts.SeccompDefault})
	if err != nil {
		return Security{}, err
	}
	if sec.Seccomp != "" && sec.Seccomp != "unconfined" {
		if _, err := os.Stat(sec.Seccomp); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return Security{}, configErrorf("container %s: seccomp profile %s not found on node %s: put the JSON profile there (Localhost profiles are relative to %s)",
					c.Name, sec.Seccomp, a.opts.NodeName, SeccompDir(a.opts.DataDir))
			}
			return Security{}, configErrorf("container %s: seccomp profile %s: %v", c.Name, sec.Seccomp, err)
		}
	}
	return sec, nil
}
