package main

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// rolloutState is where a workload's rollout stands, worded as kubectl
// rollout status words it.
type rolloutState struct {
	Message string // one line of progress, or the final word
	Done    bool   // rolled out completely
	Failed  bool   // will not finish by itself (Message says why)
}

// rolloutStatus computes the rollout state of a Deployment, DaemonSet or
// StatefulSet from its stored status (kubectl's StatusViewers). It is pure
// so the words and the rules are table-tested.
func rolloutStatus(o objects.Object) (rolloutState, error) {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return deploymentRollout(w), nil
	case *appsv1.DaemonSet:
		return daemonSetRollout(w)
	case *appsv1.StatefulSet:
		return statefulSetRollout(w)
	}
	return rolloutState{}, fmt.Errorf("rollout status works for deployments, daemonsets and statefulsets, not %s", objects.KindOf(o))
}

func deploymentRollout(d *appsv1.Deployment) rolloutState {
	if d.Generation > d.Status.ObservedGeneration {
		return rolloutState{Message: "Waiting for deployment spec update to be observed..."}
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == controllers.ReasonProgressDeadlineExceeded {
			return rolloutState{Failed: true, Message: fmt.Sprintf(
				"deployment %q exceeded its progress deadline (%s); see `reconcile get pods -n %s` for pods that are not ready, then fix the template and commit",
				d.Name, c.Message, d.Namespace)}
		}
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.UpdatedReplicas < want:
		return rolloutState{Message: fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...", d.Name, st.UpdatedReplicas, want)}
	case st.Replicas > st.UpdatedReplicas:
		return rolloutState{Message: fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...", d.Name, st.Replicas-st.UpdatedReplicas)}
	case st.AvailableReplicas < st.UpdatedReplicas:
		return rolloutState{Message: fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...", d.Name, st.AvailableReplicas, st.UpdatedReplicas)}
	}
	return rolloutState{Done: true, Message: fmt.Sprintf("deployment %q successfully rolled out", d.Name)}
}

func daemonSetRollout(ds *appsv1.DaemonSet) (rolloutState, error) {
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		return rolloutState{}, fmt.Errorf("daemonset %q uses updateStrategy OnDelete: rollout status is only available for the RollingUpdate strategy", ds.Name)
	}
	if ds.Generation > ds.Status.ObservedGeneration {
		return rolloutState{Message: "Waiting for daemon set spec update to be observed..."}, nil
	}
	st := ds.Status
	switch {
	case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
		return rolloutState{Message: fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...", ds.Name, st.UpdatedNumberScheduled, st.DesiredNumberScheduled)}, nil
	case st.NumberAvailable < st.DesiredNumberScheduled:
		return rolloutState{Message: fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...", ds.Name, st.NumberAvailable, st.DesiredNumberScheduled)}, nil
	}
	return rolloutState{Done: true, Message: fmt.Sprintf("daemon set %q successfully rolled out", ds.Name)}, nil
}

func statefulSetRollout(s *appsv1.StatefulSet) (rolloutState, error) {
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return rolloutState{}, fmt.Errorf("statefulset %q uses updateStrategy OnDelete: rollout status is only available for the RollingUpdate strategy", s.Name)
	}
	if s.Status.ObservedGeneration == 0 || s.Generation > s.Status.ObservedGeneration {
		return rolloutState{Message: "Waiting for statefulset spec update to be observed..."}, nil
	}
	want := int32(1)
	if s.Spec.Replicas != nil {
		want = *s.Spec.Replicas
	}
	st := s.Status
	if st.ReadyReplicas < want {
		return rolloutState{Message: fmt.Sprintf("Waiting for %d pods to be ready...", want-st.ReadyReplicas)}, nil
	}
	if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil && *ru.Partition > 0 {
		if st.UpdatedReplicas < want-*ru.Partition {
			return rolloutState{Message: fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...", st.UpdatedReplicas, want-*ru.Partition)}, nil
		}
		return rolloutState{Done: true, Message: fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", st.UpdatedReplicas)}, nil
	}
	if st.UpdateRevision != st.CurrentRevision {
		return rolloutState{Message: fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...", st.UpdatedReplicas, st.UpdateRevision)}, nil
	}
	return rolloutState{Done: true, Message: fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", st.CurrentReplicas, st.CurrentRevision)}, nil
}
