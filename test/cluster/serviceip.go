package cluster

import (
	"fmt"
	"net"
)

// AddServiceIP makes a Service's ClusterIP reach this pod, as kube-proxy
// would with the pod as the only endpoint, for tests of what proxies to a
// ClusterIP (ingress-nginx's service-upstream): the address goes on the
// pod's eth0 and the host routes it to the pod over the bridge. There is
// no port translation: the pod must listen on the Service's port. The
// route goes with the pod (Delete) or the network (Close).
func (p *Pod) AddServiceIP(clusterIP string) error {
	ip := net.ParseIP(clusterIP)
	if ip == nil || ip.To4() == nil {
		return fmt.Errorf("cluster: %q is not an IPv4 address", clusterIP)
	}
	if err := ipBatch(p.Netns, "addr add "+ip.String()+"/32 dev eth0"); err != nil {
		return err
	}
	if err := ip4Route("add", ip.String(), p.IP, p.net.Bridge); err != nil {
		return err
	}
	p.mu.Lock()
	p.serviceIPs = append(p.serviceIPs, ip.String())
	p.mu.Unlock()
	return nil
}

// removeServiceIPs drops the host routes AddServiceIP made.
func (p *Pod) removeServiceIPs() {
	p.mu.Lock()
	ips := p.serviceIPs
	p.serviceIPs = nil
	p.mu.Unlock()
	for _, ip := range ips {
		_ = ip4Route("del", ip, p.IP, p.net.Bridge)
	}
}

func ip4Route(op, dst, via, dev string) error {
	return ip("-4", "route", op, dst+"/32", "via", via, "dev", dev)
}
