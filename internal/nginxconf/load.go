package nginxconf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

var decoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = discoveryv1.AddToScheme(s)
	_ = networkingv1.AddToScheme(s)
	return serializer.NewCodecFactory(s).UniversalDeserializer()
}()

// LoadFiles reads YAML or JSON manifests from files and folders (recursively,
// *.yaml, *.yml, *.json) into a Snapshot. Kinds the core does not read are
// skipped and named in the returned notes; v1 Lists are unpacked.
func LoadFiles(paths ...string) (Snapshot, []string, error) {
	var s Snapshot
	var notes []string
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (path == p || ext == ".yaml" || ext == ".yml" || ext == ".json") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return s, nil, err
		}
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return s, nil, err
		}
		n, err := s.decodeAll(data)
		if err != nil {
			return s, nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, k := range n {
			notes = append(notes, fmt.Sprintf("%s: skipped %s (not read by Atrium)", f, k))
		}
	}
	return s, notes, nil
}

// decodeAll adds every document of a multi-document YAML stream.
func (s *Snapshot) decodeAll(data []byte) (skipped []string, err error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return skipped, nil
		}
		if err != nil {
			return skipped, err
		}
		if len(bytes.TrimSpace(doc)) == 0 || isOnlyComments(doc) {
			continue
		}
		sk, err := s.decode(doc)
		if err != nil {
			return skipped, err
		}
		skipped = append(skipped, sk...)
	}
}

func (s *Snapshot) decode(doc []byte) ([]string, error) {
	obj, gvk, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		if gvk != nil && runtime.IsNotRegisteredError(err) {
			return []string{gvk.Kind}, nil
		}
		return nil, err
	}
	if m, ok := obj.(interface {
		GetNamespace() string
		SetNamespace(string)
	}); ok && m.GetNamespace() == "" {
		if _, cluster := obj.(*networkingv1.IngressClass); !cluster {
			m.SetNamespace("default") // as kubectl apply does
		}
	}
	switch o := obj.(type) {
	case *networkingv1.Ingress:
		s.Ingresses = append(s.Ingresses, o)
	case *networkingv1.IngressClass:
		s.IngressClasses = append(s.IngressClasses, o)
	case *corev1.Service:
		s.Services = append(s.Services, o)
	case *discoveryv1.EndpointSlice:
		s.EndpointSlices = append(s.EndpointSlices, o)
	case *corev1.Secret:
		if o.Data == nil && o.StringData != nil {
			o.Data = map[string][]byte{}
		}
		for k, v := range o.StringData {
			o.Data[k] = []byte(v)
		}
		s.Secrets = append(s.Secrets, o)
	case *corev1.ConfigMap:
		s.ConfigMaps = append(s.ConfigMaps, o)
	case *corev1.List:
		var skipped []string
		for _, item := range o.Items {
			sk, err := s.decode(item.Raw)
			if err != nil {
				return nil, err
			}
			skipped = append(skipped, sk...)
		}
		return skipped, nil
	default:
		return []string{gvk.Kind}, nil
	}
	return nil, nil
}

func isOnlyComments(doc []byte) bool {
	for _, l := range strings.Split(string(doc), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
