package reconcile

import (
	"context"
	"net"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// resolveExternalNames looks up the names of ExternalName Services: DNS is
// an effect, so it happens here and the core gets plain addresses. A name
// that does not resolve maps to no address (the core answers 503 and says why).
func resolveExternalNames(ctx context.Context, svcs []*corev1.Service) map[string][]string {
	out := map[string][]string{}
	for _, s := range svcs {
		if s.Spec.Type != corev1.ServiceTypeExternalName {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		addrs, err := net.DefaultResolver.LookupHost(lctx, s.Spec.ExternalName)
		cancel()
		if err != nil {
			addrs = nil
		}
		sort.Strings(addrs)
		out[s.Namespace+"/"+s.Name] = addrs
	}
	return out
}
