package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/atrium-ingress/atrium/test/cluster"
)

// root is the module root; deploy/, hack/ and the Dockerfile are below it.
func root(t testing.TB) string {
	t.Helper()
	r, err := cluster.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func deployDir(t testing.TB) string { return filepath.Join(root(t), "deploy") }

// isKustomization tells kustomize's own files, which are not objects.
func isKustomization(path string) bool {
	switch filepath.Base(path) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// manifestFiles lists the object files below deploy/ (kustomizations and
// deploy/examples/, which are sample workloads rather than the installation,
// excluded), as paths relative to deploy/.
func manifestFiles(t testing.TB) []string {
	t.Helper()
	dir := deployDir(t)
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == "examples" {
				return filepath.SkipDir
			}
			return nil
		}
		if (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && !isKustomization(p) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no manifests found in deploy/")
	}
	return out
}

// yamlDocuments splits a multi-document YAML file, dropping documents that
// hold only comments or whitespace.
func yamlDocuments(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(m) > 0 {
			out = append(out, doc)
		}
	}
	return out
}

// typedObjects decodes a manifest file into client-go's typed objects,
// strictly: an unknown or duplicate field is an error.
func typedObjects(t testing.TB, path string) []runtime.Object {
	t.Helper()
	var out []runtime.Object
	for i, doc := range yamlDocuments(t, path) {
		obj, _, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i+1, err)
		}
		out = append(out, obj)
	}
	return out
}

var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// objectsOf returns the objects of type T in the manifest files.
func objectsOf[T runtime.Object](t testing.TB, paths ...string) []T {
	t.Helper()
	var out []T
	for _, p := range paths {
		for _, o := range typedObjects(t, p) {
			if v, ok := o.(T); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// only returns the single object of type T in the files, failing otherwise.
func only[T runtime.Object](t testing.TB, paths ...string) T {
	t.Helper()
	objs := objectsOf[T](t, paths...)
	if len(objs) != 1 {
		var zero T
		t.Fatalf("%v: want exactly one %T, found %d", paths, zero, len(objs))
	}
	return objs[0]
}
