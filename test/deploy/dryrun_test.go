package deploy

import (
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/atrium-ingress/atrium/test/cluster"
	"github.com/atrium-ingress/atrium/test/harness"
)

// TestManifestsPassServerDryRun: the apiserver validates and admits every
// object below deploy/ (the DaemonSet variant included). The namespace is
// created for real first; everything else is a server-side dry run with
// strict field validation, so a misspelt field fails too. Then the pods of
// each workload are dry-run in the namespace they are meant for, which runs
// Pod Security admission at the level the namespace enforces.
func TestManifestsPassServerDryRun(t *testing.T) {
	cp := cluster.StartT(t)
	ctx := t.Context()
	a, err := harness.NewApplier(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	dir := deployDir(t)
	nsObjs, err := harness.ReadManifests(filepath.Join(dir, "namespace.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range nsObjs {
		if err := a.Apply(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, m := range manifestFiles(t) {
		if m == "namespace.yaml" {
			continue
		}
		objs, err := harness.ReadManifests(filepath.Join(dir, m))
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			n++
			if err := a.DryRunCreate(ctx, o); err != nil {
				t.Errorf("deploy/%s: %v", m, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("dry-ran only %d objects; the manifests hold at least 10", n)
	}

	t.Run("PodSecurity", func(t *testing.T) { testPodSecurity(t, cp, dir) })
}

// testPodSecurity dry-runs the workloads' pods. The controller's pods use
// the node's network, which only a "privileged" namespace admits, and
// atrium-system is one. The default backend meets "restricted", the
// strictest level. As a control, the controller's pod must be refused in
// a restricted namespace, which shows the admission check really runs.
func testPodSecurity(t *testing.T, cp *cluster.ControlPlane, dir string) {
	ctx := t.Context()
	cs := kubernetes.NewForConfigOrDie(cp.Config)
	restricted := "pod-security-restricted"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: restricted, Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Nothing runs the ServiceAccount controller here: the ServiceAccount
	// admission plugin wants the pods' accounts to exist.
	for _, sa := range []struct{ ns, name string }{{"atrium-system", "atrium"}, {"atrium-system", "default"}, {restricted, "atrium"}, {restricted, "default"}} {
		if _, err := cs.CoreV1().ServiceAccounts(sa.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa.name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	podFor := func(file string, ns string) *corev1.Pod {
		for _, o := range typedObjects(t, filepath.Join(dir, file)) {
			if tmpl := podTemplate(o); tmpl != nil {
				p := &corev1.Pod{ObjectMeta: *tmpl.ObjectMeta.DeepCopy(), Spec: *tmpl.Spec.DeepCopy()}
				p.Name, p.Namespace = strings.ReplaceAll(strings.TrimSuffix(file, ".yaml"), "/", "-"), ns
				return p
			}
		}
		t.Fatalf("%s has no workload", file)
		return nil
	}
	dryRun := func(p *corev1.Pod) error {
		_, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	for _, f := range []string{"controller.yaml", "variants/daemonset/controller.yaml", "default-backend.yaml"} {
		if err := dryRun(podFor(f, "atrium-system")); err != nil {
			t.Errorf("a pod of deploy/%s in atrium-system: %v", f, err)
		}
	}
	if err := dryRun(podFor("default-backend.yaml", restricted)); err != nil {
		t.Errorf("the default backend does not meet the restricted Pod Security level: %v", err)
	}
	err := dryRun(podFor("controller.yaml", restricted))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "hostNetwork") {
		t.Errorf("the controller's pod in a restricted namespace: %v, want Forbidden for hostNetwork", err)
	}
}
