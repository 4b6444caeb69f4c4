package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// The echoservers behind protocolService listen on these ports.
const (
	podHTTPSPort = 8443
	podGRPCPort  = 9090
	podGRPCSPort = 9443
)

// protocolProvider makes Services whose pods also serve HTTPS and gRPC.
// Both providers implement it (here, so that backendProvider stays as it is).
type protocolProvider interface {
	// deployProtocols creates Service svc with ports "http" (80 -> 8080),
	// "https" (443 -> 8443), "grpc" (9090 -> 9090, plaintext gRPC) and
	// "grpcs" (9443 -> 9443, gRPC over TLS, the pod's self-signed
	// certificate) and n ready pods, and returns the pods' names.
	deployProtocols(ctx context.Context, ns, svc string, n int) ([]string, error)
}

func protocolService(ns, name string) *corev1.Service {
	s := echoService(ns, name)
	s.Spec.Ports = append(s.Spec.Ports,
		corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt32(podHTTPSPort), Protocol: corev1.ProtocolTCP},
		corev1.ServicePort{Name: "grpc", Port: podGRPCPort, TargetPort: intstr.FromInt32(podGRPCPort), Protocol: corev1.ProtocolTCP},
		corev1.ServicePort{Name: "grpcs", Port: podGRPCSPort, TargetPort: intstr.FromInt32(podGRPCSPort), Protocol: corev1.ProtocolTCP},
	)
	return s
}

func (b *podBackends) deployProtocols(ctx context.Context, ns, svc string, n int) ([]string, error) {
	s, err := b.client.CoreV1().Services(ns).Create(ctx, protocolService(ns, svc), metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	key := ns + "/" + svc
	var names []string
	for i := 0; i < n; i++ {
		b.seq++
		p, err := b.net.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%d", svc, b.seq), Namespace: ns, Service: svc,
			HTTPSPort: podHTTPSPort, GRPCPort: podGRPCPort, GRPCSPort: podGRPCSPort})
		if err != nil {
			return nil, err
		}
		b.pods[key] = append(b.pods[key], p)
		names = append(names, p.Name)
	}
	if err := cluster.SyncEndpoints(ctx, b.client, s, cluster.EndpointsFor(b.pods[key])); err != nil {
		return nil, err
	}
	return names, nil
}

func (b *deploymentBackends) deployProtocols(ctx context.Context, ns, svc string, n int) ([]string, error) {
	if _, err := b.client.CoreV1().Services(ns).Create(ctx, protocolService(ns, svc), metav1.CreateOptions{}); err != nil {
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
					Args: []string{"--http", ":8080", "--https", fmt.Sprintf(":%d", podHTTPSPort), "--grpc", fmt.Sprintf(":%d", podGRPCPort),
						"--grpcs", fmt.Sprintf(":%d", podGRPCSPort), "--service", svc},
					Env: []corev1.EnvVar{env("POD_NAME", "metadata.name"), env("POD_NAMESPACE", "metadata.namespace")},
					Ports: []corev1.ContainerPort{
						{Name: "http", ContainerPort: 8080}, {Name: "https", ContainerPort: podHTTPSPort}, {Name: "grpc", ContainerPort: podGRPCPort},
						{Name: "grpcs", ContainerPort: podGRPCSPort},
					},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(podGRPCPort)}},
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

func deployProtocols(t *testing.T, ns, svc string, n int) []string {
	t.Helper()
	p, ok := env.backends.(protocolProvider)
	if !ok {
		t.Fatalf("the backend provider %T cannot run HTTPS and gRPC pods", env.backends)
	}
	pods, err := p.deployProtocols(context.Background(), ns, svc, n)
	if err != nil {
		t.Fatalf("deploy %s/%s: %v", ns, svc, err)
	}
	return pods
}

func portNamed(p path, name string) path {
	p.port = networkingv1.ServiceBackendPort{Name: name}
	return p
}

// grpcConn is a gRPC client of the proxy's HTTPS listener (HTTP/2, SNI
// and :authority = host).
func grpcConn(host string) (*grpc.ClientConn, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return grpc.NewClient("passthrough:///"+host,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp", env.httpsAddr)
		}),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, ServerName: host})),
	)
}

// grpcServing checks that a health Check through host answers SERVING
// from an echoserver pod.
func grpcServing(host string) func() error {
	return func() error {
		st, pod, err := grpcHealth(host)
		if err != nil {
			return err
		}
		if st != healthpb.HealthCheckResponse_SERVING || pod == "" {
			return fmt.Errorf("gRPC health: %v from pod %q, want SERVING from an echoserver", st, pod)
		}
		return nil
	}
}

// grpcHealth calls grpc.health.v1.Health/Check through the proxy and
// returns the status and the pod that answered.
func grpcHealth(host string) (healthpb.HealthCheckResponse_ServingStatus, string, error) {
	st, md, err := grpcCheck(host)
	return st, first(md, echo.GRPCPodKey), err
}

// grpcCheck is grpcHealth with all the response header metadata.
func grpcCheck(host string) (healthpb.HealthCheckResponse_ServingStatus, metadata.MD, error) {
	conn, err := grpcConn(host)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var md metadata.MD
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&md))
	if err != nil {
		return 0, nil, err
	}
	return resp.Status, md, nil
}

// first is the first value of key in md, or "".
func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// TestAnnotationsBackendProtocol: HTTPS and gRPC to the endpoints through
// the real nginx, and a refused protocol failing closed.
func TestAnnotationsBackendProtocol(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deployProtocols(t, ns, "multi", 1)
	tlsHost, grpcHost, plainHost, bad := hostFor(ns, "tls"), hostFor(ns, "grpc"), hostFor(ns, "plain"), hostFor(ns, "bad")
	createIngress(t, withAnnotations(ingress(ns, "tls", rule(tlsHost, portNamed(prefix("/", "multi"), "https"))),
		map[string]string{"backend-protocol": "HTTPS"}))
	createIngress(t, withAnnotations(ingress(ns, "grpc", rule(grpcHost, portNamed(prefix("/", "multi"), "grpc"))),
		map[string]string{"backend-protocol": "GRPC", "proxy-read-timeout": "30"}))
	createIngress(t, ingress(ns, "plain", rule(plainHost, prefix("/", "multi"))))
	createIngress(t, withAnnotations(ingress(ns, "bad", rule(bad, portNamed(prefix("/", "multi"), "https"))),
		map[string]string{"backend-protocol": "AJP"}))

	// HTTPS: the echoserver saw TLS; the client spoke plain HTTP to nginx.
	eventually(t, settle, "HTTPS to the endpoints", func() error {
		r, err := get(tlsHost, "/x?y=1")
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil || r.echo.TLS == nil || r.echo.Path != "/x?y=1" {
			return fmt.Errorf("%s: %s, want 200 from the echoserver's TLS port", tlsHost, r)
		}
		return nil
	})
	// Without the annotation the same pods are reached over plain HTTP.
	eventually(t, settle, "HTTP by default", func() error {
		r, err := get(plainHost, "/")
		if err != nil {
			return err
		}
		if r.status != 200 || r.echo == nil || r.echo.TLS != nil {
			return fmt.Errorf("%s: %s, want 200 over plain HTTP", plainHost, r)
		}
		return nil
	})
	// gRPC: a health check through nginx's HTTP/2 listener.
	eventually(t, settle, "gRPC health through nginx", grpcServing(grpcHost))
	eventually(t, settle, "unsupported protocol fails closed", expect(request{host: bad, path: "/"}, 503, ""))
	waitEvent(t, ns, "bad", corev1.EventTypeWarning, "InvalidAnnotation", annPrefix+"backend-protocol")
}

// TestNoEndpointsEveryProtocol: a Service without ready endpoints answers
// 503 whatever backend-protocol says (nginx's local 503 server is reached
// in the location's protocol), and gRPC clients see UNAVAILABLE.
func TestNoEndpointsEveryProtocol(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deployProtocols(t, ns, "empty", 0)
	hosts := map[string]string{}
	for _, proto := range []string{"HTTP", "HTTPS", "GRPC", "GRPCS"} {
		port := map[string]string{"HTTP": "http", "HTTPS": "https", "GRPC": "grpc", "GRPCS": "grpcs"}[proto]
		name := strings.ToLower(proto)
		hosts[proto] = hostFor(ns, name)
		createIngress(t, withAnnotations(ingress(ns, name, rule(hosts[proto], portNamed(prefix("/", "empty"), port))),
			map[string]string{"backend-protocol": proto}))
	}
	for _, proto := range []string{"HTTP", "HTTPS", "GRPC", "GRPCS"} {
		eventually(t, settle, proto+" without endpoints", expect(request{host: hosts[proto], path: "/"}, 503, ""))
	}
	// grpc-go reports nginx's HTML 503 as a failed call (its code depends
	// on how the client reads a response without gRPC trailers).
	if st, _, err := grpcHealth(hosts["GRPC"]); status.Code(err) == codes.OK {
		t.Errorf("gRPC health without endpoints: %v, want a failed call", st)
	}
}

// TestAnnotationsBackendProtocolGRPCS: backend-protocol GRPCS speaks gRPC
// over TLS to the endpoints (the pods' TLS listener answers a health
// Check through nginx), and GRPC, cleartext HTTP/2 to the same TLS port,
// gets nowhere: nginx answers 502 Bad Gateway.
func TestAnnotationsBackendProtocolGRPCS(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deployProtocols(t, ns, "secure", 1)
	tlsHost, plainHost := hostFor(ns, "grpcs"), hostFor(ns, "grpc")
	createIngress(t, withAnnotations(ingress(ns, "grpcs", rule(tlsHost, portNamed(prefix("/", "secure"), "grpcs"))),
		map[string]string{"backend-protocol": "GRPCS"}))
	createIngress(t, withAnnotations(ingress(ns, "grpc", rule(plainHost, portNamed(prefix("/", "secure"), "grpcs"))),
		map[string]string{"backend-protocol": "GRPC"}))

	eventually(t, settle, "gRPC over TLS to the endpoints", func() error {
		st, md, err := grpcCheck(tlsHost)
		if err != nil {
			return err
		}
		if st != healthpb.HealthCheckResponse_SERVING || first(md, echo.GRPCPodKey) == "" || first(md, echo.GRPCTLSKey) == "" {
			return fmt.Errorf("gRPC health: %v, header %v; want SERVING from an echoserver's TLS listener (%s)", st, md, echo.GRPCTLSKey)
		}
		return nil
	})
	// A host Atrium does not serve would fail too (404, Unimplemented):
	// the 502 shows the location exists and its endpoints refused it.
	eventually(t, settle, "cleartext gRPC to the TLS port fails", func() error {
		st, pod, err := grpcHealth(plainHost)
		if err == nil {
			return fmt.Errorf("gRPC health: %v from pod %q, want a failed call", st, pod)
		}
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "502") {
			return fmt.Errorf("gRPC health: %v, want Unavailable from nginx's 502", err)
		}
		return nil
	})
}

// watchCut opens a health Watch through host, reads the first status, and
// waits up to wait for the next message. end is the error that ended the
// wait: the client's own DeadlineExceeded when the stream stayed open (the
// echoserver sends nothing more), another error when it was cut. err says
// the stream did not get that far.
func watchCut(host string, wait time.Duration) (elapsed time.Duration, end, err error) {
	conn, err := grpcConn(host)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	stream, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return 0, nil, fmt.Errorf("open Watch: %w", err)
	}
	msg, err := stream.Recv()
	if err != nil || msg.Status != healthpb.HealthCheckResponse_SERVING {
		return 0, nil, fmt.Errorf("first Watch message: %v, %v; want SERVING", msg, err)
	}
	start := time.Now()
	msg, end = stream.Recv()
	if end == nil {
		return 0, nil, fmt.Errorf("a second Watch message %v, want none", msg)
	}
	return time.Since(start), end, nil
}

// TestAnnotationsGRPCReadTimeout: proxy-read-timeout is gRPC's
// grpc_read_timeout too. A server stream that goes quiet after its first
// message is cut by nginx with it set to 1 s; without it (60 s) the client
// gives up first.
func TestAnnotationsGRPCReadTimeout(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deployProtocols(t, ns, "watch", 1)
	cut, open := hostFor(ns, "cut"), hostFor(ns, "open")
	createIngress(t, withAnnotations(ingress(ns, "cut", rule(cut, portNamed(prefix("/", "watch"), "grpc"))),
		map[string]string{"backend-protocol": "GRPC", "proxy-read-timeout": "1"}))
	createIngress(t, withAnnotations(ingress(ns, "open", rule(open, portNamed(prefix("/", "watch"), "grpc"))),
		map[string]string{"backend-protocol": "GRPC"}))
	for _, host := range []string{cut, open} {
		eventually(t, settle, "gRPC health through "+host, grpcServing(host))
	}

	const wait = 5 * time.Second
	eventuallyOnce(t, settle, "a quiet Watch stream cut by proxy-read-timeout 1", func() error {
		elapsed, end, err := watchCut(cut, wait)
		if err != nil {
			return err
		}
		if status.Code(end) == codes.DeadlineExceeded {
			return fmt.Errorf("second Recv after %s: %v, want the stream cut before the client's %s deadline", elapsed, end, wait)
		}
		t.Logf("cut after %s: %v", elapsed.Round(time.Millisecond), end)
		return nil
	})
	eventuallyOnce(t, settle, "a quiet Watch stream kept open without proxy-read-timeout", func() error {
		elapsed, end, err := watchCut(open, wait)
		if err != nil {
			return err
		}
		if status.Code(end) != codes.DeadlineExceeded {
			return fmt.Errorf("second Recv after %s: %v, want the client's own DeadlineExceeded", elapsed, end)
		}
		return nil
	})
}
