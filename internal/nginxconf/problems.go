package nginxconf

import (
	"fmt"
	"sort"
)

// Reason is a machine-readable cause of a Problem, from a fixed list so that
// Events and metrics can be filtered on it.
type Reason string

// The reasons Build reports.
const (
	ReasonInvalidField            Reason = "InvalidField"
	ReasonServiceNotFound         Reason = "ServiceNotFound"
	ReasonServicePortNotFound     Reason = "ServicePortNotFound"
	ReasonServiceTypeRefused      Reason = "ServiceTypeRefused"
	ReasonExternalNameUnresolved  Reason = "ExternalNameUnresolved"
	ReasonNoClusterIP             Reason = "NoClusterIP"
	ReasonSecretNotFound          Reason = "SecretNotFound"
	ReasonInvalidCertificate      Reason = "InvalidCertificate"
	ReasonConfigMapNotFound       Reason = "ConfigMapNotFound"
	ReasonInvalidAuthSecret       Reason = "InvalidAuthSecret"
	ReasonInvalidCustomHeaders    Reason = "InvalidCustomHeaders"
	ReasonCertificateHostMismatch Reason = "CertificateHostMismatch"
	ReasonPathConflict            Reason = "PathConflict"
	ReasonDefaultBackendConflict  Reason = "DefaultBackendConflict"
	ReasonHostConflict            Reason = "HostConflict"
	ReasonInvalidAnnotation       Reason = "InvalidAnnotation"
	ReasonUnsupportedAnnotation   Reason = "UnsupportedAnnotations"
	// ReasonIgnoredAnnotation: valid, supported annotations that have no
	// effect where they are (as in ingress-nginx: proxy-ssl-* without
	// proxy-ssl-secret, ssl-passthrough without --enable-ssl-passthrough or
	// without a backend); the Ingress keeps serving.
	ReasonIgnoredAnnotation Reason = "IgnoredAnnotations"
)

// ObjectRef names the object a Problem belongs to.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Problem is something wrong with one object. It degrades only the part of
// the configuration that object contributes; everything else keeps serving.
type Problem struct {
	Object  ObjectRef `json:"object"`
	Field   string    `json:"field"`
	Reason  Reason    `json:"reason"`
	Message string    `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("%s %s %s: %s", p.Object, p.Reason, p.Field, p.Message)
}

// problems collects Problems; Build returns them sorted and without duplicates.
type problems []Problem

func (ps *problems) add(obj ObjectRef, field string, reason Reason, format string, args ...any) {
	*ps = append(*ps, Problem{Object: obj, Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) sorted() []Problem {
	out := append([]Problem(nil), ps...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Object != b.Object {
			return a.Object.String() < b.Object.String()
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		return a.Message < b.Message
	})
	uniq := out[:0]
	for i, p := range out {
		if i == 0 || p != out[i-1] {
			uniq = append(uniq, p)
		}
	}
	return uniq
}
