package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The identity deploy/rbac.yaml gives the controller.
const (
	ControllerNamespace      = "atrium-system"
	ControllerServiceAccount = "atrium"
)

// Identity is the controller's ServiceAccount as a client: a token from the
// TokenRequest API and a kubeconfig file that uses it.
type Identity struct {
	Namespace, Name string
	Token           string
	// Kubeconfig authenticates as the ServiceAccount against the same
	// apiserver and CA as the admin config it was made from.
	Kubeconfig string
	// Config is the same as a rest.Config.
	Config *rest.Config
}

// InstallControllerIdentity applies deploy/namespace.yaml and deploy/rbac.yaml
// of the module at root with the admin config, mints a token for
// atrium-system/atrium (valid for ttl, or less if the apiserver caps it),
// writes a kubeconfig for it to kubeconfigPath, and waits until RBAC
// authorizes the ServiceAccount (new bindings take a moment to apply).
// The e2e suite, the demo and benchmarks run the controller with it, so
// they prove the manifests grant enough.
func InstallControllerIdentity(ctx context.Context, admin *rest.Config, root, kubeconfigPath string, ttl time.Duration) (*Identity, error) {
	objs, err := ReadManifests(filepath.Join(root, "deploy", "namespace.yaml"), filepath.Join(root, "deploy", "rbac.yaml"))
	if err != nil {
		return nil, err
	}
	a, err := NewApplier(admin)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if err := a.Apply(ctx, o); err != nil {
			return nil, err
		}
	}
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	token, err := ServiceAccountToken(ctx, cs, ControllerNamespace, ControllerServiceAccount, ttl)
	if err != nil {
		return nil, err
	}
	id := &Identity{Namespace: ControllerNamespace, Name: ControllerServiceAccount, Token: token, Kubeconfig: kubeconfigPath}
	if err := WriteTokenKubeconfig(kubeconfigPath, admin, token, ControllerNamespace); err != nil {
		return nil, err
	}
	id.Config, err = clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		return nil, err
	}
	// Both bindings must be in effect: the ClusterRoleBinding (listing
	// Ingresses) and the RoleBinding (the Lease).
	if err := WaitAllowed(ctx, id.Config,
		authorizationv1.ResourceAttributes{Group: "networking.k8s.io", Resource: "ingresses", Verb: "list"},
		authorizationv1.ResourceAttributes{Group: "coordination.k8s.io", Resource: "leases", Verb: "create", Namespace: ControllerNamespace},
	); err != nil {
		return nil, fmt.Errorf("ServiceAccount %s/%s: %w", ControllerNamespace, ControllerServiceAccount, err)
	}
	return id, nil
}

// ServiceAccountToken mints a token for ns/name with the TokenRequest API.
func ServiceAccountToken(ctx context.Context, cs kubernetes.Interface, ns, name string, ttl time.Duration) (string, error) {
	secs := int64(ttl / time.Second)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for ServiceAccount %s/%s: %w", ns, name, err)
	}
	return tr.Status.Token, nil
}

// WriteTokenKubeconfig writes a kubeconfig for the server and CA of base
// that authenticates with token, with namespace as the default namespace.
func WriteTokenKubeconfig(path string, base *rest.Config, token, namespace string) error {
	const name = "atrium"
	kc := clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{name: {
			Server:                   base.Host,
			CertificateAuthorityData: base.CAData,
			CertificateAuthority:     base.CAFile,
		}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{name: {Token: token}},
		Contexts:       map[string]*clientcmdapi.Context{name: {Cluster: name, AuthInfo: name, Namespace: namespace}},
		CurrentContext: name,
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return clientcmd.WriteToFile(kc, path)
}

// WaitAllowed waits until cfg's user may do each of attrs, asking the
// apiserver with SelfSubjectAccessReviews.
func WaitAllowed(ctx context.Context, cfg *rest.Config, attrs ...authorizationv1.ResourceAttributes) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, ra := range attrs {
		var last string
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra},
			}, metav1.CreateOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			last = r.Status.Reason
			return r.Status.Allowed, nil
		})
		if err != nil {
			return fmt.Errorf("not allowed to %s %s.%s in %q: %s (%w)", ra.Verb, ra.Resource, ra.Group, ra.Namespace, last, err)
		}
	}
	return nil
}

// ReadManifests decodes every object in the YAML (or JSON) files, in order;
// empty documents are skipped.
func ReadManifests(paths ...string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for i := 0; ; i++ {
			var m map[string]any
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: document %d: %w", p, i+1, err)
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GetKind() == "" || u.GetAPIVersion() == "" {
				f.Close()
				return nil, fmt.Errorf("%s: document %d has no kind or apiVersion", p, i+1)
			}
			out = append(out, u)
		}
		f.Close()
	}
	return out, nil
}

// Applier writes arbitrary objects through the dynamic client, mapping
// kinds to resources with the apiserver's discovery information.
type Applier struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
}

// NewApplier returns an Applier acting with cfg's identity.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Resource is the dynamic client for obj's kind, in obj's namespace if the
// kind is namespaced.
func (a *Applier) Resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := a.mapper.RESTMapping(schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}, gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk, obj.GetName(), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, fmt.Errorf("%s %s: a namespaced kind without metadata.namespace", gvk.Kind, obj.GetName())
		}
		return a.dyn.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	return a.dyn.Resource(m.Resource), nil
}

// Apply creates or updates obj with server-side apply, as
// `kubectl apply --server-side` would.
func (a *Applier) Apply(ctx context.Context, obj *unstructured.Unstructured) error {
	r, err := a.Resource(obj)
	if err != nil {
		return err
	}
	if _, err := r.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "atrium-test", Force: true}); err != nil {
		return fmt.Errorf("apply %s %s: %w", obj.GetKind(), describe(obj), err)
	}
	return nil
}

// DryRunCreate asks the apiserver to validate and admit obj as a create
// without storing it.
func (a *Applier) DryRunCreate(ctx context.Context, obj *unstructured.Unstructured) error {
	r, err := a.Resource(obj)
	if err != nil {
		return err
	}
	if _, err := r.Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}); err != nil {
		return fmt.Errorf("dry-run create %s %s: %w", obj.GetKind(), describe(obj), err)
	}
	return nil
}

func describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return ns + "/" + obj.GetName()
	}
	return obj.GetName()
}

// RBACDenials returns the lines of a controller log in which the apiserver
// refused id something ("User ... cannot VERB resource ..."), at most 20,
// each shortened to 300 bytes. Forbidden errors that are not RBAC's, for
// example writing to a namespace being deleted, do not count.
func RBACDenials(logPath string, id *Identity) []string {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return nil
	}
	user := fmt.Sprintf(`system:serviceaccount:%s:%s\" cannot `, id.Namespace, id.Name)
	userPlain := strings.ReplaceAll(user, `\"`, `"`)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, user) && !strings.Contains(line, userPlain) {
			continue
		}
		if len(line) > 300 {
			line = line[:300] + "..."
		}
		out = append(out, line)
		if len(out) == 20 {
			break
		}
	}
	return out
}
