package reconcile

import (
	"context"
	"log/slog"
	"net"
	"reflect"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// statusWriter keeps status.loadBalancer of the Ingresses we serve equal to
// the addresses clients reach us at. Only the elected leader runs it.
type statusWriter struct {
	client         kubernetes.Interface
	list           func(ctx context.Context) ([]*networkingv1.Ingress, error)
	publishService types.NamespacedName
	publishAddrs   []string
	podName        string
	podNamespace   string
	kick           chan struct{}
	log            *slog.Logger
}

func (w *statusWriter) trigger() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run updates status on every kick (a sync applied) and every minute.
func (w *statusWriter) run(ctx context.Context) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		addrs, err := w.addresses(ctx)
		if err != nil {
			w.log.Error("cannot tell the addresses to publish in Ingress status", "err", err)
		} else if !w.configured() {
			// Nothing says where clients reach us: leave status alone.
		} else if err := w.update(ctx, addrs); err != nil && ctx.Err() == nil {
			w.log.Error("updating Ingress status", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-tick.C:
		}
	}
}

// configured says whether any source of addresses is set.
func (w *statusWriter) configured() bool {
	return len(w.publishAddrs) > 0 || w.publishService.Name != "" || (w.podName != "" && w.podNamespace != "")
}

// addresses follows ingress-nginx: --publish-status-address wins; else the
// --publish-service Service's addresses; else the nodes our pods run on.
func (w *statusWriter) addresses(ctx context.Context) ([]networkingv1.IngressLoadBalancerIngress, error) {
	var out []networkingv1.IngressLoadBalancerIngress
	add := func(a string) {
		if a == "" {
			return
		}
		if net.ParseIP(a) != nil {
			out = append(out, networkingv1.IngressLoadBalancerIngress{IP: a})
		} else {
			out = append(out, networkingv1.IngressLoadBalancerIngress{Hostname: a})
		}
	}
	switch {
	case len(w.publishAddrs) > 0:
		for _, a := range w.publishAddrs {
			add(a)
		}
	case w.publishService.Name != "":
		svc, err := w.client.CoreV1().Services(w.publishService.Namespace).Get(ctx, w.publishService.Name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		for _, a := range serviceAddresses(svc) {
			add(a)
		}
	case w.podName != "" && w.podNamespace != "":
		addrs, err := w.nodeAddresses(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			add(a)
		}
	default:
		return nil, nil
	}
	return sortLB(out), nil
}

// serviceAddresses are the ingress-nginx rules for each Service type.
func serviceAddresses(svc *corev1.Service) []string {
	var out []string
	switch svc.Spec.Type {
	case corev1.ServiceTypeExternalName:
		return []string{svc.Spec.ExternalName}
	case corev1.ServiceTypeClusterIP:
		out = append(out, svc.Spec.ExternalIPs...)
		if len(out) == 0 && svc.Spec.ClusterIP != corev1.ClusterIPNone {
			out = append(out, svc.Spec.ClusterIP)
		}
	case corev1.ServiceTypeNodePort:
		out = append(out, svc.Spec.ExternalIPs...)
		if len(out) == 0 {
			out = append(out, svc.Spec.ClusterIP)
		}
	case corev1.ServiceTypeLoadBalancer:
		for _, i := range svc.Status.LoadBalancer.Ingress {
			if i.IP != "" {
				out = append(out, i.IP)
			} else if i.Hostname != "" {
				out = append(out, i.Hostname)
			}
		}
		out = append(out, svc.Spec.ExternalIPs...)
	}
	return out
}

// nodeAddresses lists the addresses of the nodes running replicas of this
// controller (pods with our labels): with hostNetwork, that is where
// clients reach nginx. External addresses are preferred over internal ones.
func (w *statusWriter) nodeAddresses(ctx context.Context) ([]string, error) {
	self, err := w.client.CoreV1().Pods(w.podNamespace).Get(ctx, w.podName, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	pods, err := w.client.CoreV1().Pods(w.podNamespace).List(ctx, metav1.ListOptions{LabelSelector: replicaSelector(self.Labels)})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" || seen[p.Spec.NodeName] || p.DeletionTimestamp != nil {
			continue
		}
		seen[p.Spec.NodeName] = true
		node, err := w.client.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if a := nodeAddress(node); a != "" {
			out = append(out, a)
		}
	}
	return out, nil
}

// replicaSelector selects the pods of all revisions of this controller:
// our labels less those a Deployment or DaemonSet adds per revision, so
// old and new pods see each other during a rolling update.
func replicaSelector(own map[string]string) string {
	sel := map[string]string{}
	for k, v := range own {
		switch k {
		case "pod-template-hash", "controller-revision-hash", "pod-template-generation":
		default:
			sel[k] = v
		}
	}
	return labels.SelectorFromSet(sel).String()
}

func nodeAddress(n *corev1.Node) string {
	for _, t := range []corev1.NodeAddressType{corev1.NodeExternalIP, corev1.NodeInternalIP} {
		for _, a := range n.Status.Addresses {
			if a.Type == t {
				return a.Address
			}
		}
	}
	return ""
}

func sortLB(in []networkingv1.IngressLoadBalancerIngress) []networkingv1.IngressLoadBalancerIngress {
	sort.Slice(in, func(i, j int) bool {
		if in[i].IP != in[j].IP {
			return in[i].IP < in[j].IP
		}
		return in[i].Hostname < in[j].Hostname
	})
	uniq := in[:0]
	for i, a := range in {
		if i == 0 || !reflect.DeepEqual(a, in[i-1]) {
			uniq = append(uniq, a)
		}
	}
	return uniq
}

// update writes the addresses to every served Ingress whose status differs;
// an unchanged status is not rewritten, and conflicts are retried.
func (w *statusWriter) update(ctx context.Context, addrs []networkingv1.IngressLoadBalancerIngress) error {
	ings, err := w.list(ctx)
	if err != nil {
		return err
	}
	for _, ing := range ings {
		if equalLB(sortLB(append([]networkingv1.IngressLoadBalancerIngress(nil), ing.Status.LoadBalancer.Ingress...)), addrs) {
			continue
		}
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := w.client.NetworkingV1().Ingresses(ing.Namespace).Get(ctx, ing.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if equalLB(cur.Status.LoadBalancer.Ingress, addrs) {
				return nil
			}
			cur.Status.LoadBalancer.Ingress = addrs
			_, err = w.client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			w.log.Error("updating Ingress status", "ingress", ing.Namespace+"/"+ing.Name, "err", err)
			continue
		}
		w.log.Info("Ingress status updated", "ingress", ing.Namespace+"/"+ing.Name, "addresses", lbString(addrs))
	}
	return nil
}

// clearOnShutdown empties the status of served Ingresses when no other
// replica of this controller remains, as ingress-nginx's
// --update-status-on-shutdown does.
func (w *statusWriter) clearOnShutdown(ctx context.Context) error {
	if !w.configured() {
		return nil
	}
	if w.podName != "" && w.podNamespace != "" {
		// Clear only when sure to be the last replica.
		self, err := w.client.CoreV1().Pods(w.podNamespace).Get(ctx, w.podName, metav1.GetOptions{})
		if err != nil {
			w.log.Error("cannot tell whether other replicas remain: leaving Ingress status as it is", "err", err)
			return nil
		}
		pods, err := w.client.CoreV1().Pods(w.podNamespace).List(ctx, metav1.ListOptions{LabelSelector: replicaSelector(self.Labels)})
		if err != nil {
			w.log.Error("cannot tell whether other replicas remain: leaving Ingress status as it is", "err", err)
			return nil
		}
		for _, p := range pods.Items {
			if p.Name != w.podName && p.DeletionTimestamp == nil {
				w.log.Info("other replicas remain: leaving Ingress status as it is")
				return nil
			}
		}
	}
	return w.update(ctx, nil)
}

func lbString(a []networkingv1.IngressLoadBalancerIngress) []string {
	out := make([]string, 0, len(a))
	for _, i := range a {
		out = append(out, i.IP+i.Hostname)
	}
	return out
}

// equalLB compares address lists, nil and empty alike.
func equalLB(a, b []networkingv1.IngressLoadBalancerIngress) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}
