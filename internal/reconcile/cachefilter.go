package reconcile

import (
	"strings"

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
//   - Of every other Secret the cache keeps only what Atrium reads, so no
//     password, token or Helm payload sits in the controller's memory:
//     tls.crt, tls.key and ca.crt (TLS, proxy-ssl-secret, auth-tls-secret)
//     and ca.crl (auth-tls-secret); for auth-secret, the key auth when it
//     is a password file Atrium accepts (nginxconf.ValidHtpasswd: user
//     names and password hashes only, which htpasswd files are meant to
//     expose), and all data when every key is a user name and every value
//     such a hash (an auth-map Secret, nginxconf.CheckAuthMap). Filtering
//     by content rather than by "is it referenced now" keeps a Secret
//     usable the moment an Ingress starts naming it, without a second
//     read (and without "get" on Secrets). When an auth key, or what looks
//     like an auth map, is dropped, an annotation says why, which
//     auth-secret then reports.
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

// secretKeys are the certificate keys Atrium reads (TLS termination,
// proxy-ssl-secret, auth-tls-secret).
var secretKeys = map[string]bool{corev1.TLSCertKey: true, corev1.TLSPrivateKeyKey: true, "ca.crt": true, "ca.crl": true}

// authKey is the key of an htpasswd file in an auth-secret.
const authKey = "auth"

// trimSecret is the cache transform for Secrets: only secretKeys stay,
// plus a valid password file under authKey, or all of an auth map.
func trimSecret(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil // a tombstone: keep it as it is
	}
	_, _ = slim(s)
	s.StringData = nil
	var why []string
	keepAuth := false
	if raw, ok := s.Data[authKey]; ok {
		if err := nginxconf.ValidHtpasswd(raw); err != nil {
			why = append(why, "key auth: "+err.Error())
		} else {
			keepAuth = true
		}
	}
	if err := nginxconf.CheckAuthMap(s.Data); err == nil {
		delete(s.Annotations, nginxconf.DroppedAuthAnnotation)
		return s, nil // an auth map: users and hashes only
	} else if nginxconf.LooksLikeAuthMap(s.Data) {
		why = append(why, "not an auth map: "+err.Error())
	}
	for k := range s.Data {
		if !secretKeys[k] && !(k == authKey && keepAuth) {
			delete(s.Data, k)
		}
	}
	switch {
	case len(why) > 0:
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[nginxconf.DroppedAuthAnnotation] = strings.Join(why, "; ")
	case keepAuth:
		delete(s.Annotations, nginxconf.DroppedAuthAnnotation)
	}
	// Otherwise an annotation is kept: informers may transform an object
	// twice, and the second time the data it explains is gone.
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
