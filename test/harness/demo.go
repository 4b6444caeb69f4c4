package harness

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
	"github.com/atrium-ingress/atrium/test/cluster"
)

// Demo sets up the sample workload of `make run`.
type Demo struct {
	Config *rest.Config
	Net    *cluster.Network
}

// Backends creates, in namespace default, one Service per name (port 80
// "http" to the pods' 8080) with that many emulated pods named NAME-1...
func (d *Demo) Backends(ctx context.Context, services map[string]int) error {
	cs, err := kubernetes.NewForConfig(d.Config)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, svc := range names {
		s, err := cluster.CreateService(ctx, cs, "default", svc, []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}})
		if err != nil {
			return err
		}
		var pods []*cluster.Pod
		for i := 1; i <= services[svc]; i++ {
			p, err := d.Net.AddPod(ctx, cluster.PodSpec{Name: fmt.Sprintf("%s-%d", svc, i), Namespace: "default", Service: svc})
			if err != nil {
				return err
			}
			pods = append(pods, p)
		}
		if err := cluster.SyncEndpoints(ctx, cs, s, cluster.EndpointsFor(pods)); err != nil {
			return err
		}
	}
	return nil
}

// Apply creates the IngressClasses, Secrets, Services and Ingresses found
// in YAML files below dir (what `kubectl apply -f dir` would, for these kinds).
func (d *Demo) Apply(ctx context.Context, dir string) error {
	cs, err := kubernetes.NewForConfig(d.Config)
	if err != nil {
		return err
	}
	snap, _, err := nginxconf.LoadFiles(dir)
	if err != nil {
		return err
	}
	for _, o := range snap.IngressClasses {
		if _, err := cs.NetworkingV1().IngressClasses().Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for _, o := range snap.Secrets {
		if _, err := cs.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for _, o := range snap.Services {
		if _, err := cs.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	for _, o := range snap.Ingresses {
		if _, err := cs.NetworkingV1().Ingresses(o.Namespace).Create(ctx, o, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// Curl is one command the demo prints, with what it must answer.
type Curl struct {
	Command    string
	Expect     string
	WantStatus int
	// WantBody must appear in the response body ("" for any).
	WantBody string
}

// DemoCurls are the demo's curl lines for a running controller.
func DemoCurls(c *Controller) []Curl {
	h, s, z := c.HTTPAddr(), c.HTTPSAddr(), c.HealthzURL()
	_, httpsPort, _ := strings.Cut(s, ":")
	_, httpPort, _ := strings.Cut(h, ":")
	return []Curl{
		{"curl -H 'Host: demo.local' http://" + h + "/", "web-1 or web-2 answers (JSON)", 200, `"service":"web"`},
		{"curl -H 'Host: demo.local' http://" + h + "/api/users", "Prefix /api -> api-1", 200, `"pod":"api-1"`},
		{"curl -H 'Host: demo.local' http://" + h + "/version", "Exact /version -> api-1", 200, `"pod":"api-1"`},
		{"curl -H 'Host: demo.local' http://" + h + "/versions", "not /version: Prefix / -> web", 200, `"service":"web"`},
		{"curl -H 'Host: echo.local' http://" + h + "/anything", "second host -> api-1", 200, `"pod":"api-1"`},
		{"curl -H 'Host: unknown.local' http://" + h + "/", "unknown host -> built-in 404", 404, ""},
		{"curl -i -H 'Host: secure.demo.local' http://" + h + "/", "TLS host -> 308 to https", 308, ""},
		{"curl -k --resolve secure.demo.local:" + httpsPort + ":127.0.0.1 https://secure.demo.local:" + httpsPort + "/", "served by SNI with the demo certificate", 200, `"service":"web"`},
		{"curl " + z, "200 once nginx serves", 200, "ok"},
		{"curl -s " + c.MetricsURL() + " | grep atrium_", "Prometheus metrics", 200, ""},
		{"curl --resolve demo.local:" + httpPort + ":127.0.0.1 http://demo.local:" + httpPort + "/api", "the same with a real Host name", 200, `"pod":"api-1"`},
	}
}

// CheckCurls runs each command as printed (with curl's -w added to read the
// status) until it answers as expected or ctx ends.
func CheckCurls(ctx context.Context, curls []Curl) error {
	for _, c := range curls {
		cmd := c.Command
		if strings.Contains(cmd, "|") {
			cmd = strings.SplitN(cmd, "|", 2)[0] // check the curl, not the grep
		}
		for {
			out, err := exec.CommandContext(ctx, "sh", "-c", cmd+" -s -o /dev/stderr -w '%{http_code}'").CombinedOutput()
			got := string(out)
			if err == nil && strings.HasSuffix(got, fmt.Sprint(c.WantStatus)) && strings.Contains(got, c.WantBody) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("demo check failed: %s\n  want %d %q, got: %.300s (%v)", c.Command, c.WantStatus, c.WantBody, got, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}
