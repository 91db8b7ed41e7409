package agent

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Security is a container's securityContext as Podman takes it (specgen's
// security fields); securitySpec in podman_security.go copies it over.
type Security struct {
	// User is "uid", "uid:gid", "name:gid" or "" (the image's USER).
	User string
	// Groups are the supplemental GIDs: supplementalGroups, then fsGroup.
	Groups []string
	// CapAdd and CapDrop change Podman's default capability set ("ALL": every one).
	CapAdd, CapDrop []string
	Privileged      bool
	ReadOnlyRoot    bool
	NoNewPrivileges bool
	// Seccomp is "unconfined", "" (Podman's default filter: RuntimeDefault) or
	// the path of a Localhost profile on the node.
	Seccomp string
	// Unmask lists /proc paths left unmasked: ["ALL"] for procMount Unmasked.
	Unmask []string
}

// SeccompDir is where Localhost seccomp profiles live, below the agent's data
// directory (the kubelet's is <root-dir>/seccomp).
func SeccompDir(dataDir string) string { return filepath.Join(dataDir, "seccomp") }

// SecurityDefaults are the node's choices where a securityContext says nothing.
type SecurityDefaults struct {
	// SeccompDir holds the Localhost profiles (SeccompDir(dataDir)).
	SeccompDir string
	// RuntimeDefaultSeccomp makes RuntimeDefault the default profile instead
	// of Unconfined (the kubelet's --seccomp-default).
	RuntimeDefaultSeccomp bool
}

// effectiveSecurity merges the pod's securityContext into the container's:
// the container's own fields win, as in Kubernetes'
// DetermineEffectiveSecurityContext.
func effectiveSecurity(pod *corev1.Pod, c *corev1.Container) corev1.SecurityContext {
	var out corev1.SecurityContext
	if c.SecurityContext != nil {
		out = *c.SecurityContext
	}
	psc := pod.Spec.SecurityContext
	if psc == nil {
		return out
	}
	if out.RunAsUser == nil {
		out.RunAsUser = psc.RunAsUser
	}
	if out.RunAsGroup == nil {
		out.RunAsGroup = psc.RunAsGroup
	}
	if out.RunAsNonRoot == nil {
		out.RunAsNonRoot = psc.RunAsNonRoot
	}
	if out.SeccompProfile == nil {
		out.SeccompProfile = psc.SeccompProfile
	}
	return out
}

// needsImageUser says whether containerSecurity and verifyRunAsNonRoot need
// the image's configured USER: runAsNonRoot or runAsGroup without runAsUser.
func needsImageUser(pod *corev1.Pod, c *corev1.Container) bool {
	sc := effectiveSecurity(pod, c)
	return sc.RunAsUser == nil && ((sc.RunAsNonRoot != nil && *sc.RunAsNonRoot) || sc.RunAsGroup != nil)
}

// containerSecurity maps a container's effective securityContext to what
// Podman is given. imageUser is the image's configured USER (only read when
// runAsGroup is set without runAsUser). Errors are configuration errors the
// container waits on (CreateContainerConfigError).
func containerSecurity(pod *corev1.Pod, c *corev1.Container, imageUser string, d SecurityDefaults) (Security, error) {
	sc := effectiveSecurity(pod, c)
	var s Security
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	switch {
	case sc.RunAsUser != nil && sc.RunAsGroup != nil:
		s.User = fmt.Sprintf("%d:%d", *sc.RunAsUser, *sc.RunAsGroup)
	case sc.RunAsUser != nil:
		s.User = strconv.FormatInt(*sc.RunAsUser, 10)
	case sc.RunAsGroup != nil: // the image's user with another primary group
		u, _, _ := strings.Cut(imageUser, ":")
		if u == "" {
			u = "0"
		}
		s.User = fmt.Sprintf("%s:%d", u, *sc.RunAsGroup)
	}
	if psc.SupplementalGroupsPolicy != nil && *psc.SupplementalGroupsPolicy == corev1.SupplementalGroupsPolicyStrict && !strings.Contains(s.User, ":") {
		return Security{}, configErrorf("container %s: supplementalGroupsPolicy Strict needs runAsGroup on this node: Podman adds the image's /etc/group memberships unless the primary group is given", c.Name)
	}
	for _, g := range psc.SupplementalGroups {
		s.Groups = appendUnique(s.Groups, strconv.FormatInt(g, 10))
	}
	if psc.FSGroup != nil {
		s.Groups = appendUnique(s.Groups, strconv.FormatInt(*psc.FSGroup, 10))
	}
	if caps := sc.Capabilities; caps != nil {
		for _, cp := range caps.Add {
			s.CapAdd = append(s.CapAdd, strings.ToUpper(string(cp)))
		}
		for _, cp := range caps.Drop {
			s.CapDrop = append(s.CapDrop, strings.ToUpper(string(cp)))
		}
	}
	s.Privileged = sc.Privileged != nil && *sc.Privileged
	s.ReadOnlyRoot = sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem
	// The kubelet sets no_new_privs only for an explicit false.
	s.NoNewPrivileges = sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation
	if sc.ProcMount != nil && *sc.ProcMount == corev1.UnmaskedProcMount {
		s.Unmask = []string{"ALL"}
	}
	seccomp, err := seccompProfile(sc.SeccompProfile, c.Name, d)
	if err != nil {
		return Security{}, err
	}
	s.Seccomp = seccomp
	return s, nil
}

// seccompProfile picks Podman's seccomp setting: the profile asked for, else
// Unconfined (Kubernetes' default; RuntimeDefault under --seccomp-default).
// A privileged container runs unconfined whatever is set, in Podman as in
// Kubernetes.
func seccompProfile(sp *corev1.SeccompProfile, container string, d SecurityDefaults) (string, error) {
	typ := corev1.SeccompProfileTypeUnconfined
	if d.RuntimeDefaultSeccomp {
		typ = corev1.SeccompProfileTypeRuntimeDefault
	}
	if sp != nil {
		typ = sp.Type
	}
	switch typ {
	case corev1.SeccompProfileTypeRuntimeDefault:
		return "", nil
	case corev1.SeccompProfileTypeLocalhost:
		if sp.LocalhostProfile == nil || *sp.LocalhostProfile == "" {
			return "", configErrorf("container %s: seccompProfile type Localhost needs localhostProfile", container)
		}
		p, err := inside(d.SeccompDir, *sp.LocalhostProfile)
		if err != nil {
			return "", configErrorf("container %s: seccompProfile localhostProfile: %v", container, err)
		}
		return p, nil
	default:
		return "unconfined", nil
	}
}

func appendUnique(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// podSysctls are the pod's namespaced sysctls, set on its Podman pod (the
// network and IPC namespaces its containers share).
func podSysctls(pod *corev1.Pod) map[string]string {
	psc := pod.Spec.SecurityContext
	if psc == nil || len(psc.Sysctls) == 0 {
		return nil
	}
	out := make(map[string]string, len(psc.Sysctls))
	for _, s := range psc.Sysctls {
		out[strings.ReplaceAll(s.Name, "/", ".")] = s.Value
	}
	return out
}

// verifyRunAsNonRoot is the kubelet's check of the same name: with
// runAsNonRoot, a container whose effective user is UID 0, or whose image
// names its user only by name, is not started. imageUser is the image's
// configured USER ("" = root). The messages are Kubernetes' own.
func verifyRunAsNonRoot(pod *corev1.Pod, c *corev1.Container, imageUser string) error {
	sc := effectiveSecurity(pod, c)
	if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		return nil
	}
	where := fmt.Sprintf("(pod: %q, container: %s)", fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID), c.Name)
	if sc.RunAsUser != nil {
		if *sc.RunAsUser == 0 {
			return configErrorf("container's runAsUser breaks non-root policy %s", where)
		}
		return nil
	}
	uid, name := imageUserID(imageUser)
	switch {
	case uid == nil && name != "":
		return configErrorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root %s", name, where)
	case uid != nil && *uid == 0:
		return configErrorf("container has runAsNonRoot and image will run as root %s", where)
	case uid != nil && (*uid < 0 || *uid > math.MaxInt32):
		return configErrorf("container has runAsNonRoot and image has an invalid user id (%d). (Must be 1-(%d)): must be between 0 and %d, inclusive %s",
			*uid, math.MaxInt32, math.MaxInt32, where)
	}
	return nil
}

// imageUserID reads an image's USER as the CRI reports it: a numeric user
// (before any ":group") as a UID, a name as a name, and nothing as root.
func imageUserID(user string) (uid *int64, name string) {
	u, _, _ := strings.Cut(user, ":")
	if u == "" {
		return new(int64), ""
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil {
		return nil, u
	}
	return &n, ""
}
