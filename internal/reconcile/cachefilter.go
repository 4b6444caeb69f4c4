package reconcile

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// What the informer cache keeps of Secrets and ConfigMaps.
//
// ingress-nginx watches every Secret and ConfigMap, and its operators
// expect what that allows: a proxy-ssl-secret may be an Opaque Secret,
// custom-headers may name any ConfigMap of the Ingress's namespace, and a
// Secret or ConfigMap created after the Ingress is picked up. So Atrium
// watches them all too (RBAC cannot narrow list and watch any further),
// but it does not keep what it never reads:
//
//   - Secrets of the types that are large, numerous and never a
//     certificate are not listed at all (a field selector): Helm release
//     Secrets (helm.sh/release.v1, up to 1 MiB each, one per revision) and
//     service-account tokens.
//   - Of every other Secret the cache keeps only tls.crt, tls.key and
//     ca.crt, the keys Atrium reads, so no password, token or Helm payload
//     sits in the controller's memory. Filtering by key rather than by
//     "is it referenced now" keeps a Secret usable the moment an Ingress
//     starts naming it, without a second read (and without "get" on
//     Secrets).
//   - Of a ConfigMap the cache keeps the data only when it could be a
//     custom-headers ConfigMap (nginxconf.CustomHeaders: header names,
//     printable values, at most 64 KiB). Others (CA bundles, Corefiles,
//     dashboards, Helm v2 releases) keep their metadata and an annotation
//     saying why the data was dropped, which custom-headers then reports.
//     The --configmap ConfigMap is kept whole.
//   - managedFields and kubectl's last-applied-configuration annotation,
//     which repeats a Secret's data in clear, are dropped from both.
//
// Only Secrets and ConfigMaps an Ingress names trigger rebuilds (see
// relevance).

// secretFieldSelector excludes the Secret types Atrium never reads and
// that can be large or numerous.
func secretFieldSelector() fields.Selector {
	return fields.AndSelectors(
		fields.OneTermNotEqualSelector("type", "helm.sh/release.v1"),
		fields.OneTermNotEqualSelector("type", string(corev1.SecretTypeServiceAccountToken)),
	)
}

// secretKeys are the only Secret data keys Atrium reads (TLS termination,
// proxy-ssl-secret).
var secretKeys = map[string]bool{corev1.TLSCertKey: true, corev1.TLSPrivateKeyKey: true, "ca.crt": true}

// trimSecret is the cache transform for Secrets: only secretKeys stay.
func trimSecret(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil // a tombstone: keep it as it is
	}
	_, _ = slim(s)
	for k := range s.Data {
		if !secretKeys[k] {
			delete(s.Data, k)
		}
	}
	s.StringData = nil
	return s, nil
}

// trimConfigMap returns the cache transform for ConfigMaps; own is the
// --configmap ConfigMap (zero when unset), kept whole.
func trimConfigMap(own types.NamespacedName) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			return obj, nil
		}
		_, _ = slim(cm)
		if cm.Annotations[nginxconf.DroppedDataAnnotation] != "" && cm.Data == nil {
			return cm, nil // trimmed already: informers may transform twice
		}
		// Only this transform may say that data was dropped.
		delete(cm.Annotations, nginxconf.DroppedDataAnnotation)
		if own.Name != "" && cm.Namespace == own.Namespace && cm.Name == own.Name {
			return cm, nil
		}
		cm.BinaryData = nil // ingress-nginx reads only data, too
		if _, err := nginxconf.CustomHeaders(cm.Data); err != nil {
			cm.Data = nil
			if cm.Annotations == nil {
				cm.Annotations = map[string]string{}
			}
			cm.Annotations[nginxconf.DroppedDataAnnotation] = "not a custom-headers ConfigMap (" + err.Error() + ")"
		}
		return cm, nil
	}
}
