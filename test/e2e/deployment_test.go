package e2e

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// deploymentBackends runs echoservers as Deployments on a real cluster; the
// cluster's own endpoints controller writes the EndpointSlices.
type deploymentBackends struct {
	client kubernetes.Interface
	image  string
}

func (b *deploymentBackends) deploy(ctx context.Context, ns, svc string, n int) ([]string, error) {
	if _, err := b.client.CoreV1().Services(ns).Create(ctx, echoService(ns, svc), metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	labels := map[string]string{"app": svc}
	env := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(n)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "echo", Image: b.image, ImagePullPolicy: corev1.PullIfNotPresent,
					Args:  []string{"--http", ":8080", "--service", svc},
					Env:   []corev1.EnvVar{env("POD_NAME", "metadata.name"), env("POD_NAMESPACE", "metadata.namespace")},
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
						PeriodSeconds: 1},
				}}},
			},
		},
	}
	if _, err := b.client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	return b.wait(ctx, ns, svc, n)
}

func (b *deploymentBackends) scale(ctx context.Context, ns, svc string, n int) ([]string, error) {
	s, err := b.client.AppsV1().Deployments(ns).GetScale(ctx, svc, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	s.Spec.Replicas = int32(n)
	if _, err := b.client.AppsV1().Deployments(ns).UpdateScale(ctx, svc, s, metav1.UpdateOptions{}); err != nil {
		return nil, err
	}
	return b.wait(ctx, ns, svc, n)
}

// replace restarts the Deployment's pods one at a time (a rolling update).
func (b *deploymentBackends) replace(ctx context.Context, ns, svc string, _ time.Duration) error {
	d, err := b.client.AppsV1().Deployments(ns).Get(ctx, svc, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations["atrium-e2e/restarted"] = time.Now().Format(time.RFC3339Nano)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
		MaxUnavailable: ptr.To(intstr.FromInt32(0)), MaxSurge: ptr.To(intstr.FromInt32(1)),
	}}
	_, err = b.client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	return err
}

// wait returns the pod names once the Service has exactly n ready endpoints.
func (b *deploymentBackends) wait(ctx context.Context, ns, svc string, n int) ([]string, error) {
	var names []string
	err := wait.PollUntilContextTimeout(ctx, time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		slices, err := b.client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			return false, nil
		}
		names = names[:0]
		total := 0
		for _, s := range slices.Items {
			for _, ep := range s.Endpoints {
				total++
				if ep.Conditions.Ready != nil && *ep.Conditions.Ready && ep.TargetRef != nil {
					names = append(names, ep.TargetRef.Name)
				}
			}
		}
		return len(names) == n && total == n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("service %s/%s: waiting for %d ready endpoints: %w", ns, svc, n, err)
	}
	sort.Strings(names)
	return names, nil
}
