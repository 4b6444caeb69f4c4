package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/atrium-ingress/atrium/test/cluster"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// podAdd starts a pod in the running network, creates its Service (port
// 80 "http" -> the pod port) if missing and republishes the Service's
// endpoints.
func podAdd(args []string) error {
	fs := flag.NewFlagSet("pod add", flag.ContinueOnError)
	statePath := stateFlag(fs)
	svcName := fs.String("service", "", "Service the pod backs (required)")
	ns := fs.String("namespace", "default", "namespace of the Service")
	port := fs.Int("port", 8080, "HTTP port of the pod")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *svcName == "" {
		return errors.New("usage: atrium-dev pod add NAME --service SVC [--namespace NS] [--port PORT]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, cs, err := open(*statePath)
	if err != nil {
		return err
	}
	if _, err := cluster.CreateNamespace(ctx, cs, *ns); err != nil {
		return err
	}
	p, err := n.AddPod(ctx, cluster.PodSpec{Name: pos[0], Namespace: *ns, Service: *svcName, HTTPPort: *port})
	if err != nil {
		return err
	}
	svc, err := cs.CoreV1().Services(*ns).Get(ctx, *svcName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		svc, err = cluster.CreateService(ctx, cs, *ns, *svcName, []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromInt32(int32(*port))}})
	}
	if err == nil {
		warnPortMismatch(svc, *port)
		err = syncService(ctx, cs, n, svc)
	}
	if err != nil {
		_ = p.Delete()
		return err
	}
	fmt.Printf("%s/%s %s:%d (service %s)\n", p.Namespace, p.Name, p.IP, p.Ports.HTTP, svc.Name)
	return nil
}

// podDel removes a pod and republishes its Service's endpoints.
func podDel(args []string) error {
	fs := flag.NewFlagSet("pod del", flag.ContinueOnError)
	statePath := stateFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: atrium-dev pod del NAME")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, cs, err := open(*statePath)
	if err != nil {
		return err
	}
	p, err := n.Pod(pos[0])
	if err != nil {
		return err
	}
	if err := p.Delete(); err != nil {
		return err
	}
	svc, err := cs.CoreV1().Services(p.Namespace).Get(ctx, p.Service, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil // deleted by hand: nothing to republish
	}
	if err != nil {
		return err
	}
	return syncService(ctx, cs, n, svc)
}

// podList prints the network's pods.
func podList(args []string) error {
	fs := flag.NewFlagSet("pod list", flag.ContinueOnError)
	statePath := stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, _, err := open(*statePath)
	if err != nil {
		return err
	}
	for _, p := range n.Pods() {
		status := "running"
		if p.PID() == 0 {
			status = "stopped"
		}
		fmt.Printf("%s/%s\t%s:%d\tservice=%s\t%s\n", p.Namespace, p.Name, p.IP, p.Ports.HTTP, p.Service, status)
	}
	return nil
}

func open(statePath string) (*cluster.Network, kubernetes.Interface, error) {
	st, err := readState(statePath)
	if err != nil {
		return nil, nil, err
	}
	n, err := cluster.OpenNetwork(st.Network)
	if err != nil {
		return nil, nil, err
	}
	cs, err := clientset(st)
	return n, cs, err
}

// syncService publishes every pod of the network that backs svc as its
// endpoints: the network's pod records are the source of truth.
func syncService(ctx context.Context, cs kubernetes.Interface, n *cluster.Network, svc *corev1.Service) error {
	var pods []*cluster.Pod
	for _, p := range n.Pods() {
		if p.Namespace == svc.Namespace && p.Service == svc.Name {
			pods = append(pods, p)
		}
	}
	return cluster.SyncEndpoints(ctx, cs, svc, cluster.EndpointsFor(pods))
}

// warnPortMismatch flags a pod whose port differs from the Service's
// target port: its endpoint is published with the Service's port, as for
// a real pod, so traffic would go to a closed port.
func warnPortMismatch(svc *corev1.Service, port int) {
	for _, sp := range svc.Spec.Ports {
		if t := sp.TargetPort.IntValue(); t != 0 && t != port {
			fmt.Fprintf(os.Stderr, "atrium-dev: warning: service %s/%s port %q targets %d, the pod listens on %d\n",
				svc.Namespace, svc.Name, sp.Name, t, port)
		}
	}
}
