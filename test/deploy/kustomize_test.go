package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

const image = "ghcr.io/atrium-ingress/atrium"

// kustomization is the part of kustomize's file format these tests read.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Components []string `json:"components"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
	Patches []struct {
		Patch string `json:"patch"`
	} `json:"patches"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return k
}

// TestKustomizationsListEveryManifest: every file a kustomization lists
// exists, and every manifest below deploy/ is listed by the kustomization in
// its own directory, so `kubectl apply -k` installs all of it.
func TestKustomizationsListEveryManifest(t *testing.T) {
	dir := deployDir(t)
	listed := map[string]bool{}
	for _, kdir := range []string{".", "variants/daemonset"} {
		k := readKustomization(t, filepath.Join(dir, kdir))
		for _, r := range k.Resources {
			p := filepath.Join(dir, kdir, r)
			st, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s/kustomization.yaml lists %s: %v", kdir, r, err)
				continue
			}
			if st.IsDir() {
				t.Errorf("%s/kustomization.yaml: resource %s is a directory; the layout here lists files", kdir, r)
			}
			listed[filepath.Join(kdir, r)] = true
		}
	}
	for _, m := range manifestFiles(t) {
		if !listed[m] {
			t.Errorf("deploy/%s is not listed in the kustomization.yaml of its directory", m)
		}
	}

	top := readKustomization(t, dir)
	if top.Kind != "Kustomization" {
		t.Errorf("deploy/kustomization.yaml kind = %q, want Kustomization", top.Kind)
	}
	want := []string{"namespace.yaml", "rbac.yaml", "configmap.yaml", "controller.yaml", "default-backend.yaml", "ingressclass.yaml"}
	if !slices.Equal(top.Resources, want) {
		t.Errorf("deploy/kustomization.yaml resources = %v, want %v (the namespace first)", top.Resources, want)
	}
	if len(top.Images) != 1 || top.Images[0].Name != image {
		t.Errorf("deploy/kustomization.yaml images = %+v, want one entry for %s", top.Images, image)
	}
	// The DaemonSet variant is a Component (an overlay inside deploy/ cannot
	// use deploy/ as its base), which the top-level file points to.
	b, _ := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if !strings.Contains(string(b), "#   - variants/daemonset") {
		t.Error("deploy/kustomization.yaml does not mention the variants/daemonset component in a comment")
	}
	v := readKustomization(t, filepath.Join(dir, "variants/daemonset"))
	if v.Kind != "Component" {
		t.Errorf("variants/daemonset kind = %q, want Component", v.Kind)
	}
	dep := only[*appsv1.Deployment](t, filepath.Join(dir, "controller.yaml"))
	ds := only[*appsv1.DaemonSet](t, filepath.Join(dir, "variants/daemonset/controller.yaml"))
	if ds.Name != dep.Name || ds.Namespace != dep.Namespace {
		t.Errorf("DaemonSet %s/%s should replace Deployment %s/%s under the same name", ds.Namespace, ds.Name, dep.Namespace, dep.Name)
	}
	if len(v.Patches) != 1 || !strings.Contains(v.Patches[0].Patch, "$patch: delete") ||
		!strings.Contains(v.Patches[0].Patch, "kind: Deployment") || !strings.Contains(v.Patches[0].Patch, "name: "+dep.Name) {
		t.Errorf("variants/daemonset should delete Deployment %s with one patch, has %+v", dep.Name, v.Patches)
	}
}

// TestEveryContainerUsesTheImage: the kustomize images: entry overrides
// every container, so all of them must name the same image.
func TestEveryContainerUsesTheImage(t *testing.T) {
	for _, m := range manifestFiles(t) {
		for _, o := range typedObjects(t, filepath.Join(deployDir(t), m)) {
			tmpl := podTemplate(o)
			if tmpl == nil {
				continue
			}
			for _, c := range tmpl.Spec.Containers {
				if c.Image != image+":latest" {
					t.Errorf("deploy/%s: container %s has image %q, want %s:latest", m, c.Name, c.Image, image)
				}
			}
		}
	}
}

// TestKustomizeBuild builds deploy/ and a DaemonSet overlay with kubectl's
// built-in kustomize, when kubectl is installed, checking what each would
// install and that the image override reaches every container.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the kustomizations were only checked as files")
	}
	build := func(dir, wantImage string) []string {
		t.Helper()
		out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
		}
		var objs []string
		for _, doc := range strings.Split(string(out), "\n---\n") {
			var m struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, m.Kind+"/"+m.Metadata.Name)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if s := strings.TrimSpace(line); strings.HasPrefix(s, "image:") && s != "image: "+wantImage {
				t.Errorf("kubectl kustomize %s: %q, want image %s", dir, s, wantImage)
			}
		}
		slices.Sort(objs)
		return objs
	}
	base := []string{
		"ClusterRole/atrium", "ClusterRoleBinding/atrium", "ConfigMap/atrium-config", "Deployment/atrium-controller", "Deployment/atrium-default-backend",
		"IngressClass/atrium", "Namespace/atrium-system", "Role/atrium", "RoleBinding/atrium", "Service/atrium-default-backend", "ServiceAccount/atrium",
	}
	if got := build(deployDir(t), image+":latest"); !slices.Equal(got, base) {
		t.Errorf("kubectl kustomize deploy/ =\n%v\nwant\n%v", got, base)
	}

	// The overlay the variant's comment suggests, with an image override.
	// kustomize wants relative paths to the base and the component.
	overlay := filepath.Join(t.TempDir(), "overlay")
	if err := os.Mkdir(overlay, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(overlay, deployDir(t))
	if err != nil {
		t.Fatal(err)
	}
	k := "resources:\n  - " + rel + "\ncomponents:\n  - " + rel + "/variants/daemonset\n" +
		"images:\n  - name: " + image + "\n    newName: example.test/atrium\n    newTag: v9\n"
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(base)
	want[slices.Index(want, "Deployment/atrium-controller")] = "DaemonSet/atrium-controller"
	slices.Sort(want)
	if got := build(overlay, "example.test/atrium:v9"); !slices.Equal(got, want) {
		t.Errorf("kubectl kustomize of a DaemonSet overlay =\n%v\nwant\n%v", got, want)
	}
}
