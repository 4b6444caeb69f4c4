package deploy

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/atrium-ingress/atrium/internal/reconcile"
)

// podTemplate is the pod template of a workload, or nil.
func podTemplate(o runtime.Object) *corev1.PodTemplateSpec {
	switch w := o.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template
	case *appsv1.DaemonSet:
		return &w.Spec.Template
	}
	return nil
}

// controllerWorkloads are the Deployment and the DaemonSet variant.
func controllerWorkloads(t *testing.T) map[string]runtime.Object {
	dir := deployDir(t)
	return map[string]runtime.Object{
		"controller.yaml":                    only[*appsv1.Deployment](t, filepath.Join(dir, "controller.yaml")),
		"variants/daemonset/controller.yaml": only[*appsv1.DaemonSet](t, filepath.Join(dir, "variants/daemonset/controller.yaml")),
	}
}

// imageUID is the uid of the user the Dockerfile creates.
func imageUID(t *testing.T) int64 {
	t.Helper()
	df := readDockerfile(t)
	m := regexp.MustCompile(`useradd [^\n]*--uid (\d+)`).FindStringSubmatch(df.text)
	if m == nil {
		t.Fatal("Dockerfile: no useradd --uid")
	}
	uid, _ := strconv.ParseInt(m[1], 10, 64)
	return uid
}

// TestControllerManifestsMatchTheController: the controller's pods run the
// flags the controller has, and probes, ports, volumes, the grace period,
// the identity and the Lease name agree with those flags.
func TestControllerManifestsMatchTheController(t *testing.T) {
	dir := deployDir(t)
	uid := imageUID(t)
	sa := only[*corev1.ServiceAccount](t, filepath.Join(dir, "rbac.yaml"))
	role := only[*rbacv1.Role](t, filepath.Join(dir, "rbac.yaml"))
	backends := objectsOf[*corev1.Service](t, filepath.Join(dir, "default-backend.yaml"))

	for file, w := range controllerWorkloads(t) {
		t.Run(file, func(t *testing.T) {
			tmpl := podTemplate(w)
			spec := tmpl.Spec
			if len(spec.Containers) != 1 {
				t.Fatalf("want one container, have %d", len(spec.Containers))
			}
			c := spec.Containers[0]

			var o reconcile.Options
			fs := flag.NewFlagSet("controller", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			o.RegisterFlags(fs)
			if len(c.Command) > 0 {
				t.Errorf("command %v overrides the image's entrypoint", c.Command)
			}
			if err := fs.Parse(c.Args); err != nil {
				t.Fatalf("args %v: %v", c.Args, err)
			}
			if fs.NArg() > 0 {
				t.Errorf("args %v: stray arguments %v", c.Args, fs.Args())
			}
			if err := o.Validate(); err != nil {
				t.Errorf("args %v: %v", c.Args, err)
			}
			if o.Kubeconfig != "" || o.DisableLeaderElection {
				t.Errorf("in-cluster pods need neither --kubeconfig nor --disable-leader-election")
			}

			// Shutdown: up to 10s clearing status, then nginx drains for
			// --shutdown-grace-period plus 5s (reconcile.Run).
			need := o.ShutdownGracePeriod + 15*time.Second
			if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second < need {
				t.Errorf("terminationGracePeriodSeconds does not cover draining (%v): %v", need, ptrString(g))
			}

			if !spec.HostNetwork || spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
				t.Errorf("hostNetwork %v, dnsPolicy %q: want true and ClusterFirstWithHostNet", spec.HostNetwork, spec.DNSPolicy)
			}
			ports := map[int32]bool{}
			for _, p := range c.Ports {
				ports[p.ContainerPort] = true
			}
			for _, p := range []int{o.HTTPPort, o.HTTPSPort, o.HealthzPort} {
				if !ports[int32(p)] {
					t.Errorf("no containerPort %d (ports %v)", p, c.Ports)
				}
			}
			for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != intstr.FromInt(o.HealthzPort) {
					t.Errorf("%s probe %+v: want GET /healthz on %d", name, p, o.HealthzPort)
				}
			}

			env := map[string]string{}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
					env[e.Name] = e.ValueFrom.FieldRef.FieldPath
				}
			}
			if env["POD_NAME"] != "metadata.name" || env["POD_NAMESPACE"] != "metadata.namespace" {
				t.Errorf("env %v: want POD_NAME and POD_NAMESPACE from the downward API", env)
			}

			// Security: non-root as the image's user, one capability, nothing
			// writable but the emptyDirs.
			sc := c.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != uid {
				t.Errorf("container securityContext %+v: want runAsNonRoot and runAsUser %d", sc, uid)
			} else {
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Error("allowPrivilegeEscalation must be false")
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Error("readOnlyRootFilesystem must be true")
				}
				if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
					!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_BIND_SERVICE"}) {
					t.Errorf("capabilities %+v: want drop ALL, add NET_BIND_SERVICE only", sc.Capabilities)
				}
			}
			if psc := spec.SecurityContext; psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != uid {
				t.Errorf("pod securityContext %+v: want runAsUser %d", psc, uid)
			}
			emptyDirs := map[string]bool{}
			for _, v := range spec.Volumes {
				if v.EmptyDir != nil {
					emptyDirs[v.Name] = true
				}
			}
			mounted := map[string]bool{}
			for _, m := range c.VolumeMounts {
				if emptyDirs[m.Name] && !m.ReadOnly {
					mounted[m.MountPath] = true
				}
			}
			for _, p := range []string{o.NginxDir, "/tmp"} {
				if !mounted[p] {
					t.Errorf("no writable emptyDir at %s (mounts %+v)", p, c.VolumeMounts)
				}
			}

			// Identity: the ServiceAccount of rbac.yaml, and the Lease the
			// Role lets it renew.
			if spec.ServiceAccountName != sa.Name || w.(interface{ GetNamespace() string }).GetNamespace() != sa.Namespace {
				t.Errorf("serviceAccountName %q: want %s/%s", spec.ServiceAccountName, sa.Namespace, sa.Name)
			}
			leaseNames := map[string]bool{}
			for _, r := range role.Rules {
				if slices.Contains(r.Resources, "leases") && slices.Contains(r.Verbs, "update") {
					for _, n := range r.ResourceNames {
						leaseNames[n] = true
					}
				}
			}
			if !leaseNames[o.ElectionID] {
				t.Errorf("--election-id %q is not among the Lease names the Role allows (%v)", o.ElectionID, leaseNames)
			}

			// --default-backend-service names the Service of default-backend.yaml.
			found := false
			for _, s := range backends {
				found = found || s.Namespace+"/"+s.Name == o.DefaultBackendService
			}
			if !found {
				t.Errorf("--default-backend-service %q is not a Service in default-backend.yaml", o.DefaultBackendService)
			}

			if dep, ok := w.(*appsv1.Deployment); ok {
				checkAntiAffinity(t, dep)
			}
		})
	}
}

// checkAntiAffinity: two replicas never share a node (they would both need
// the node's ports 80 and 443).
func checkAntiAffinity(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("replicas %v: want at least 2", d.Spec.Replicas)
	}
	a := d.Spec.Template.Spec.Affinity
	if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
		t.Fatalf("want one required podAntiAffinity term, have %+v", a)
	}
	term := a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0]
	if term.TopologyKey != corev1.LabelHostname {
		t.Errorf("anti-affinity topologyKey %q, want %s", term.TopologyKey, corev1.LabelHostname)
	}
	for k, v := range term.LabelSelector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("anti-affinity selects %s=%s, which the pods do not carry", k, v)
		}
	}
	if len(term.LabelSelector.MatchLabels) == 0 {
		t.Error("anti-affinity selects nothing")
	}
}

// TestDefaultBackendManifest: the default backend runs the controller
// image's default-backend command, the Service reaches the port it listens
// on, and the pod needs neither the API nor any capability.
func TestDefaultBackendManifest(t *testing.T) {
	file := filepath.Join(deployDir(t), "default-backend.yaml")
	d := only[*appsv1.Deployment](t, file)
	svc := only[*corev1.Service](t, file)
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, have %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if want := []string{"default-backend", "--listen", ":8080"}; !slices.Equal(c.Args, want) {
		t.Errorf("args %v, want %v", c.Args, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8080 {
		t.Fatalf("ports %+v: want the one port 8080", c.Ports)
	}
	if len(svc.Spec.Ports) == 0 {
		t.Fatal("the Service has no port")
	}
	// The controller proxies to the Service's first port.
	tp := svc.Spec.Ports[0].TargetPort
	if !(tp.Type == intstr.String && tp.StrVal == c.Ports[0].Name) && !(tp.Type == intstr.Int && tp.IntVal == 8080) {
		t.Errorf("Service targetPort %v does not reach the container's port %+v", tp, c.Ports[0])
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service selects %s=%s, which the pods do not carry", k, v)
		}
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
			t.Errorf("%s probe %+v: want GET /healthz", name, p)
		}
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the default backend should not get an API token")
	}
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext %+v: want no capabilities, read-only root, no privilege escalation", sc)
	}
	if psc := spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod securityContext %+v: want runAsNonRoot", psc)
	}
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
