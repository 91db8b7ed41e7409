package schema

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/cron"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

type semanticError struct {
	path []string
	msg  string
}

// semanticChecks are the rules of the Kubernetes API server that relate
// several fields, which CUE would express only at a high evaluation cost.
func semanticChecks(o objects.Object) []semanticError {
	var errs []semanticError
	add := func(msg string, path ...string) { errs = append(errs, semanticError{path: path, msg: msg}) }
	selector := func(sel *metav1.LabelSelector, tmpl *corev1.PodTemplateSpec, prefix ...string) {
		p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
		if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
			add("required field is missing: a selector matching the template's labels, e.g. matchLabels: {app: NAME}", p("selector")...)
			return
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			add(err.Error(), p("selector")...)
			return
		}
		if !s.Matches(labels.Set(tmpl.Labels)) {
			add(fmt.Sprintf("the template's labels do not match the selector %s; add them to template.metadata.labels", s), p("template", "metadata", "labels")...)
		}
	}
	switch x := o.(type) {
	case *appsv1.Deployment:
		selector(x.Spec.Selector, &x.Spec.Template, "spec")
		if x.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType && x.Spec.Strategy.RollingUpdate != nil {
			add("rollingUpdate may only be set with type RollingUpdate", "spec", "strategy", "rollingUpdate")
		}
		podChecks(&x.Spec.Template.Spec, add, "spec", "template", "spec")
	case *appsv1.ReplicaSet:
		selector(x.Spec.Selector, &x.Spec.Template, "spec")
		podChecks(&x.Spec.Template.Spec, add, "spec", "template", "spec")
	case *appsv1.DaemonSet:
		selector(x.Spec.Selector, &x.Spec.Template, "spec")
		if x.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType && x.Spec.UpdateStrategy.RollingUpdate != nil {
			add("rollingUpdate may only be set with type RollingUpdate", "spec", "updateStrategy", "rollingUpdate")
		}
		podChecks(&x.Spec.Template.Spec, add, "spec", "template", "spec")
	case *appsv1.StatefulSet:
		selector(x.Spec.Selector, &x.Spec.Template, "spec")
		if x.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType && x.Spec.UpdateStrategy.RollingUpdate != nil {
			add("rollingUpdate may only be set with type RollingUpdate", "spec", "updateStrategy", "rollingUpdate")
		}
		// Containers mount volumeClaimTemplates by name, as in Kubernetes:
		// each becomes a persistentVolumeClaim volume of the pod.
		spec := x.Spec.Template.Spec
		spec.Volumes = append([]corev1.Volume(nil), spec.Volumes...)
		for _, c := range x.Spec.VolumeClaimTemplates {
			spec.Volumes = append(spec.Volumes, corev1.Volume{Name: c.Name})
		}
		podChecks(&spec, add, "spec", "template", "spec")
	case *batchv1.Job:
		jobChecks(&x.Spec, add, "spec")
		podChecks(&x.Spec.Template.Spec, add, "spec", "template", "spec")
	case *batchv1.CronJob:
		cronJobChecks(x, add)
		jobChecks(&x.Spec.JobTemplate.Spec, add, "spec", "jobTemplate", "spec")
		podChecks(&x.Spec.JobTemplate.Spec.Template.Spec, add, "spec", "jobTemplate", "spec", "template", "spec")
	case *corev1.Pod:
		podChecks(&x.Spec, add, "spec")
	case *corev1.Service:
		serviceChecks(x, add)
	case *policyv1.PodDisruptionBudget:
		pdbChecks(&x.Spec, add)
	case *autoscalingv2.HorizontalPodAutoscaler:
		hpaChecks(x, add)
	case *networkingv1.Ingress:
		ingressChecks(x, add) // ingress.go
	case *networkingv1.IngressClass:
		ingressClassChecks(x, add)
	case *corev1.ResourceQuota:
		for _, pr := range quota.ValidateQuota(x) {
			add(pr.Message, pr.Path...)
		}
	case *corev1.LimitRange:
		for _, pr := range quota.ValidateLimitRange(x) {
			add(pr.Message, pr.Path...)
		}
	case *schedulingv1.PriorityClass:
		if priority.Reserved(x.Name) {
			add(fmt.Sprintf("priority class names with %q prefix are reserved for the built-in system-cluster-critical and system-node-critical classes; choose another name", priority.ReservedPrefix), "metadata", "name")
		}
	}
	return errs
}

func podChecks(spec *corev1.PodSpec, add func(string, ...string), prefix ...string) {
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	names := map[string]bool{}
	check := func(list string, cs []corev1.Container) {
		for i, c := range cs {
			idx := fmt.Sprint(i)
			if names[c.Name] {
				add(fmt.Sprintf("duplicate container name %q in the pod", c.Name), p(list, idx, "name")...)
			}
			names[c.Name] = true
			for j, m := range c.VolumeMounts {
				if !volumes[m.Name] {
					add(fmt.Sprintf("no volume named %q in spec.volumes", m.Name), p(list, idx, "volumeMounts", fmt.Sprint(j), "name")...)
				}
			}
			for probe, pr := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
				if pr == nil {
					continue
				}
				n := 0
				for _, set := range []bool{pr.Exec != nil, pr.HTTPGet != nil, pr.TCPSocket != nil, pr.GRPC != nil} {
					if set {
						n++
					}
				}
				if n != 1 {
					add("a probe needs exactly one of exec, httpGet, tcpSocket or grpc", p(list, idx, probe)...)
				}
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
	hostFieldChecks(spec, add, p)
	podResourceChecks(spec, add, prefix...)
	securityChecks(spec, add, p)
	volumeChecks(spec, add, p) // volumes.go
}

func serviceChecks(s *corev1.Service, add func(string, ...string)) {
	if len(s.Spec.Ports) == 0 && s.Spec.ClusterIP != corev1.ClusterIPNone {
		add("required field is missing: at least one port (only a headless service, clusterIP: None, may have none)", "spec", "ports")
	}
	names := map[string]bool{}
	for i, port := range s.Spec.Ports {
		idx := fmt.Sprint(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			add("required field is missing: every port of a service with several ports needs a name", "spec", "ports", idx)
		}
		if port.Name != "" && names[port.Name] {
			add(fmt.Sprintf("duplicate port name %q", port.Name), "spec", "ports", idx, "name")
		}
		names[port.Name] = true
		if port.NodePort != 0 && s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			add("nodePort may only be set with type NodePort or LoadBalancer", "spec", "ports", idx, "nodePort")
		}
	}
	loadBalancerChecks(s, add)
}

// loadBalancerChecks refuses the external-traffic fields where Kubernetes'
// validation does (in its words), here rather than in schema.cue because
// they depend on type, which CUE would need comprehensions for.
func loadBalancerChecks(s *corev1.Service, add func(string, ...string)) {
	spec := &s.Spec
	lb := spec.Type == corev1.ServiceTypeLoadBalancer
	external := lb || spec.Type == corev1.ServiceTypeNodePort
	if spec.ExternalTrafficPolicy != "" && !external {
		add("may only be set for externally-accessible services (type NodePort or LoadBalancer)", "spec", "externalTrafficPolicy")
	}
	if spec.HealthCheckNodePort != 0 && (!lb || spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal) {
		add("may only be set when type is LoadBalancer and externalTrafficPolicy is Local", "spec", "healthCheckNodePort")
	}
	if lb {
		return
	}
	if spec.AllocateLoadBalancerNodePorts != nil {
		add("may only be used when type is LoadBalancer", "spec", "allocateLoadBalancerNodePorts")
	}
	if spec.LoadBalancerIP != "" {
		add("may only be used when type is LoadBalancer", "spec", "loadBalancerIP")
	}
	if len(spec.LoadBalancerSourceRanges) > 0 {
		add("may only be used when type is LoadBalancer", "spec", "loadBalancerSourceRanges")
	}
}

// normalize applies the defaults Kubernetes sets conditionally (which CUE
// would need comprehensions for, making errors cascade) and what the API
// server does on write.
func normalize(o objects.Object) {
	pct := intstr.FromString("25%")
	switch x := o.(type) {
	case *corev1.Pod:
		podDefaults(&x.Spec)
	case *appsv1.Deployment:
		if x.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
			if x.Spec.Strategy.RollingUpdate == nil {
				x.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
			}
			ru := x.Spec.Strategy.RollingUpdate
			if ru.MaxUnavailable == nil {
				ru.MaxUnavailable = &pct
			}
			if ru.MaxSurge == nil {
				p2 := pct
				ru.MaxSurge = &p2
			}
		}
		podDefaults(&x.Spec.Template.Spec)
	case *appsv1.ReplicaSet:
		podDefaults(&x.Spec.Template.Spec)
	case *appsv1.DaemonSet:
		if x.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
			if x.Spec.UpdateStrategy.RollingUpdate == nil {
				x.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
			}
			ru := x.Spec.UpdateStrategy.RollingUpdate
			if ru.MaxUnavailable == nil {
				one := intstr.FromInt32(1)
				ru.MaxUnavailable = &one
			}
			if ru.MaxSurge == nil {
				zero := intstr.FromInt32(0)
				ru.MaxSurge = &zero
			}
		}
		podDefaults(&x.Spec.Template.Spec)
	case *appsv1.StatefulSet:
		if x.Spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType {
			if x.Spec.UpdateStrategy.RollingUpdate == nil {
				x.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
			}
			if x.Spec.UpdateStrategy.RollingUpdate.Partition == nil {
				var zero int32
				x.Spec.UpdateStrategy.RollingUpdate.Partition = &zero
			}
		}
		podDefaults(&x.Spec.Template.Spec)
	case *batchv1.Job:
		jobDefaults(&x.Spec)
		podDefaults(&x.Spec.Template.Spec)
	case *batchv1.CronJob:
		jobDefaults(&x.Spec.JobTemplate.Spec)
		podDefaults(&x.Spec.JobTemplate.Spec.Template.Spec)
	case *corev1.Service:
		if x.Spec.SessionAffinity == corev1.ServiceAffinityClientIP {
			if x.Spec.SessionAffinityConfig == nil {
				x.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{}
			}
			if x.Spec.SessionAffinityConfig.ClientIP == nil {
				x.Spec.SessionAffinityConfig.ClientIP = &corev1.ClientIPConfig{}
			}
			if x.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds == nil {
				t := int32(corev1.DefaultClientIPServiceAffinitySeconds)
				x.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds = &t
			}
		}
	case *corev1.Secret:
		// The API server merges stringData into data on write.
		if len(x.StringData) > 0 {
			if x.Data == nil {
				x.Data = map[string][]byte{}
			}
			for k, v := range x.StringData {
				x.Data[k] = []byte(v)
			}
			x.StringData = nil
		}
	}
}

func podDefaults(spec *corev1.PodSpec) {
	hostNetworkDefaults(spec)
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			if cs[i].ImagePullPolicy == "" {
				cs[i].ImagePullPolicy = defaultPullPolicy(cs[i].Image)
			}
		}
	}
}

// defaultPullPolicy is Kubernetes' rule: Always for :latest or an untagged
// image, IfNotPresent for a tag or a digest.
func defaultPullPolicy(image string) corev1.PullPolicy {
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(name, ":")
	if i < 0 || name[i+1:] == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// cronJobChecks parses the schedule with the controller's parser (package
// schema/cron), so a schedule it could not run is refused here, at its
// position, and not found later by an InvalidSchedule event.
func cronJobChecks(cj *batchv1.CronJob, add func(string, ...string)) {
	tz := ""
	if cj.Spec.TimeZone != nil {
		if err := cron.CheckTimeZone(*cj.Spec.TimeZone); err != nil {
			add(err.Error(), "spec", "timeZone")
		} else {
			tz = *cj.Spec.TimeZone
		}
	}
	if _, err := cron.Parse(cj.Spec.Schedule, tz, time.UTC); err != nil {
		add(err.Error(), "spec", "schedule")
	}
}
