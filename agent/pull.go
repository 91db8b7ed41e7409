package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Image event reasons, as the kubelet names them.
const (
	ReasonPulling = "Pulling"
	ReasonPulled  = "Pulled"
	// ReasonFailedPullSecret: an imagePullSecret is missing, of the wrong
	// type or malformed; the pull goes on without it, as in Kubernetes.
	ReasonFailedPullSecret = "FailedToRetrieveImagePullSecret"
)

// ensureImage applies the container's pull policy (Kubernetes' default when
// unset) and pulls with the pod's imagePullSecrets when needed, reporting
// Pulling, Pulled and (through the caller) Failed events in the kubelet's
// words. A failed pull wraps ErrImagePull even when an older copy is
// present; a missing image under Never wraps ErrImageNeverPull.
func (a *Agent) ensureImage(ctx context.Context, oc *objectCache, pod *corev1.Pod, c *corev1.Container) error {
	policy := c.ImagePullPolicy
	if policy == "" {
		policy = defaultPullPolicy(c.Image)
	}
	rt := a.opts.Runtime
	if policy != corev1.PullAlways {
		present, err := rt.ImagePresent(ctx, c.Image)
		if err != nil {
			return err // Podman unreachable: transient, the next sync retries
		}
		if present {
			a.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonPulled, "Container image %q already present on machine", c.Image)
			return nil
		}
		if policy == corev1.PullNever {
			return withReason(ErrImageNeverPull, "Container image %q is not present with pull policy of Never; build or load it with podman first", c.Image)
		}
	}
	auths, err := a.pullAuths(ctx, oc, pod)
	if err != nil {
		return err
	}
	creds := matchPullCredentials(c.Image, auths)
	a.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonPulling, "Pulling image %q", c.Image)
	start := a.opts.Clock()
	if err := pullWith(ctx, a.opts.Runtime, c.Image, creds); err != nil {
		return withReason(ErrImagePull, "Failed to pull image %q: %v", c.Image, err)
	}
	a.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonPulled, "Successfully pulled image %q in %s",
		c.Image, a.opts.Clock().Sub(start).Round(1e6))
	return nil
}

// pullWith tries each matching credential in turn, as the kubelet does, and
// pulls anonymously when none matches. The error is the last attempt's.
func pullWith(ctx context.Context, rt Runtime, image string, creds []RegistryAuth) error {
	if len(creds) == 0 {
		return rt.PullImage(ctx, image, nil)
	}
	var err error
	for i := range creds {
		if err = rt.PullImage(ctx, image, &creds[i]); err == nil {
			return nil
		}
	}
	return err
}

// pullAuths reads the pod's imagePullSecrets. A missing, mistyped or
// malformed Secret is reported as a Warning event and skipped (Kubernetes
// pulls on; the registry's answer then says what is wrong); a control plane
// that cannot answer is an error, so the pull is not tried without
// credentials that may exist.
func (a *Agent) pullAuths(ctx context.Context, oc *objectCache, pod *corev1.Pod) ([]RegistryAuth, error) {
	var auths []RegistryAuth
	var problems []string
	for _, ref := range pod.Spec.ImagePullSecrets {
		if ref.Name == "" {
			continue
		}
		s, err := oc.secret(ctx, pod.Namespace, ref.Name)
		switch {
		case errors.Is(err, ErrNotFound):
			problems = append(problems, fmt.Sprintf("secret %s/%s not found", pod.Namespace, ref.Name))
			continue
		case err != nil:
			return nil, fmt.Errorf("reading image pull secret %s/%s: %w", pod.Namespace, ref.Name, err)
		}
		got, err := parseDockerConfig(s)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		auths = append(auths, got...)
	}
	if len(problems) > 0 {
		a.events.record(ctx, pod, "", corev1.EventTypeWarning, ReasonFailedPullSecret,
			"Unable to retrieve some image pull secrets (%s); attempting to pull the image may not succeed.", strings.Join(problems, "; "))
	}
	return auths, nil
}
