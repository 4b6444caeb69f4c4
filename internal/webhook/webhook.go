// Package webhook is Atrium's optional validating admission webhook. It
// runs only the pure core (validate and build) on the candidate Ingress
// together with what the cluster already has, never nginx, so it cannot be
// made to execute anything (unlike ingress-nginx's, CVE-2025-1974).
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
)

// rejected are the problems that make an Ingress be refused at admission;
// the others (a Service not there yet, a Secret to come) are warnings, since
// objects may be applied in any order.
var rejected = map[nginxconf.Reason]bool{
	nginxconf.ReasonInvalidField:      true,
	nginxconf.ReasonInvalidAnnotation: true,
	nginxconf.ReasonPathConflict:      true,
}

// Handler answers AdmissionReviews for Ingresses.
type Handler struct {
	// Snapshot returns what the cluster has now (the controller's cache).
	Snapshot func(ctx context.Context) (nginxconf.Snapshot, error)
	// Options are the core's options, as the controller uses them.
	Options nginxconf.Options
}

const maxBody = 4 << 20

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "POST an admission.k8s.io/v1 AdmissionReview as JSON", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	resp := h.review(ctx, review.Request)
	resp.UID = review.Request.UID
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// review decides one request.
func (h *Handler) review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	allow := &admissionv1.AdmissionResponse{Allowed: true}
	if req.Kind.Group != networkingv1.GroupName || req.Kind.Kind != "Ingress" || req.Operation == admissionv1.Delete {
		return allow
	}
	var ing networkingv1.Ingress
	if err := json.Unmarshal(req.Object.Raw, &ing); err != nil {
		return deny(fmt.Sprintf("cannot decode the Ingress: %v", err))
	}
	if ing.Namespace == "" {
		ing.Namespace = req.Namespace
	}
	snap, err := h.Snapshot(ctx)
	if err != nil {
		// Failing open would let anything in while the cache is down;
		// the webhook's failurePolicy decides what the apiserver does.
		return deny(fmt.Sprintf("cannot read the cluster state: %v", err))
	}
	if !nginxconf.IsOurs(&ing, snap.IngressClasses, h.Options) {
		return allow
	}
	if ing.CreationTimestamp.IsZero() {
		// A new Ingress is the newest: it loses conflicts, as it will once created.
		ing.CreationTimestamp = metav1.Now()
	}
	snap.Ingresses = withCandidate(snap.Ingresses, &ing)
	_, probs, err := nginxconf.Build(snap, h.Options)
	if err != nil {
		return deny(err.Error())
	}
	var refuse, warn []string
	for _, p := range probs {
		if p.Object.Kind != "Ingress" || p.Object.Namespace != ing.Namespace || p.Object.Name != ing.Name {
			continue
		}
		msg := fmt.Sprintf("%s: %s", p.Field, p.Message)
		if rejected[p.Reason] {
			refuse = append(refuse, msg)
		} else {
			warn = append(warn, string(p.Reason)+" "+msg)
		}
	}
	if len(refuse) > 0 {
		return deny("refused by Atrium: " + strings.Join(refuse, "; "))
	}
	allow.Warnings = warn
	return allow
}

// withCandidate replaces the Ingress of the same name, or adds it.
func withCandidate(ings []*networkingv1.Ingress, c *networkingv1.Ingress) []*networkingv1.Ingress {
	out := make([]*networkingv1.Ingress, 0, len(ings)+1)
	for _, i := range ings {
		if i.Namespace == c.Namespace && i.Name == c.Name {
			if c.CreationTimestamp.IsZero() || c.CreationTimestamp.After(i.CreationTimestamp.Time) {
				c.CreationTimestamp = i.CreationTimestamp // an update keeps its age
			}
			continue
		}
		out = append(out, i)
	}
	return append(out, c)
}

func deny(msg string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Status: metav1.StatusFailure, Message: msg, Reason: metav1.StatusReasonInvalid, Code: http.StatusUnprocessableEntity}}
}
