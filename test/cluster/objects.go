package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The helpers take kubernetes.Interface, which e2e tests also have against
// a real cluster.

// ManagedBy is the endpointslice.kubernetes.io/managed-by value of slices
// written by SyncEndpoints; the real EndpointSlice controller leaves slices
// with another manager alone. It mirrors the controller's own
// "endpointslice-controller.k8s.io": a label value may not contain "/", so
// "atrium-ingress.io/test-cluster" would be rejected by the apiserver.
const ManagedBy = "test-cluster.atrium-ingress.io"

// CreateNamespace creates a namespace, or returns it if it exists already
// (default, kube-system and friends always do).
func CreateNamespace(ctx context.Context, cs kubernetes.Interface, name string) (*corev1.Namespace, error) {
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	}
	return ns, err
}

// CreateService creates a ClusterIP Service selecting app=<name>. Nothing
// here runs pods with that label; the selector only makes the Service look
// like a normal one, while its endpoints come from SyncEndpoints.
func CreateService(ctx context.Context, cs kubernetes.Interface, ns, name string, ports []corev1.ServicePort) (*corev1.Service, error) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app": name},
			Ports:    ports,
		},
	}
	return cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
}

// Endpoint is one address of a Service as SyncEndpoints publishes it.
type Endpoint struct {
	IP          string
	PodName     string
	Ready       bool
	Serving     bool
	Terminating bool
}

// EndpointsFor lists pods as ready, serving, not terminating endpoints.
func EndpointsFor(pods []*Pod) []Endpoint {
	eps := make([]Endpoint, 0, len(pods))
	for _, p := range pods {
		eps = append(eps, Endpoint{IP: p.IP, PodName: p.Name, Ready: true, Serving: true})
	}
	return eps
}

// SliceName is the name of the EndpointSlice SyncEndpoints writes.
func SliceName(svc string) string { return svc + "-atrium" }

// SyncEndpoints makes the Service's endpoints exactly eps by creating or
// replacing one EndpointSlice, <svc>-atrium. It stands in for the
// EndpointSlice controller, which our control plane does not run. Scaling
// up or down, readiness flaps and graceful termination are all just calls
// with a different list, e.g. the same pods with Ready false and
// Terminating true.
//
// Slice ports carry the Service port's name and its target port number, as
// the real controller writes them; a named targetPort cannot be resolved
// without pod specs and is an error.
func SyncEndpoints(ctx context.Context, cs kubernetes.Interface, svc *corev1.Service, eps []Endpoint) error {
	if svc.UID == "" { // the owner reference needs it
		got, err := cs.CoreV1().Services(svc.Namespace).Get(ctx, svc.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		svc = got
	}
	want, err := endpointSlice(svc, eps)
	if err != nil {
		return err
	}
	api := cs.DiscoveryV1().EndpointSlices(svc.Namespace)
	return retry.OnError(retry.DefaultRetry, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		cur, err := api.Get(ctx, want.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = api.Create(ctx, want, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		want.ResourceVersion = cur.ResourceVersion
		_, err = api.Update(ctx, want, metav1.UpdateOptions{})
		return err
	})
}

func endpointSlice(svc *corev1.Service, eps []Endpoint) (*discoveryv1.EndpointSlice, error) {
	ports := make([]discoveryv1.EndpointPort, 0, len(svc.Spec.Ports))
	for _, sp := range svc.Spec.Ports {
		target := sp.TargetPort.IntValue()
		switch {
		case sp.TargetPort.StrVal != "":
			return nil, fmt.Errorf("cluster: service %s/%s port %q: named targetPort %q is not supported",
				svc.Namespace, svc.Name, sp.Name, sp.TargetPort.StrVal)
		case target == 0:
			target = int(sp.Port) // the API defaults targetPort to port
		}
		ports = append(ports, discoveryv1.EndpointPort{
			Name:        new(sp.Name),
			Port:        new(int32(target)),
			Protocol:    new(protocolOr(sp.Protocol)),
			AppProtocol: sp.AppProtocol,
		})
	}
	endpoints := make([]discoveryv1.Endpoint, 0, len(eps))
	for _, ep := range eps {
		e := discoveryv1.Endpoint{
			Addresses: []string{ep.IP},
			Conditions: discoveryv1.EndpointConditions{
				Ready:       new(ep.Ready),
				Serving:     new(ep.Serving),
				Terminating: new(ep.Terminating),
			},
		}
		if ep.PodName != "" {
			e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: svc.Namespace, Name: ep.PodName}
		}
		endpoints = append(endpoints, e)
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      SliceName(svc.Name),
			Namespace: svc.Namespace,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: svc.Name,
				discoveryv1.LabelManagedBy:   ManagedBy,
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
				Controller: new(true), BlockOwnerDeletion: new(true),
			}},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   endpoints,
		Ports:       ports,
	}, nil
}

func protocolOr(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}
