package reconcile

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
)

// resolvConf is where the controller finds its nameservers.
const resolvConf = "/etc/resolv.conf"

// nameservers returns the IP addresses of the `nameserver` lines of a
// resolv.conf, in order (at most three, as the C library uses). nginx
// resolves auth-url and mirror-target host names at request time with
// these, as
// ingress-nginx does with the pod's; on a cluster that is the cluster DNS
// (the controller runs with dnsPolicy ClusterFirstWithHostNet). nginx's
// resolver ignores resolv.conf's search domains, so a Service must be
// named fully (auth.ns.svc.cluster.local), as with ingress-nginx.
func nameservers(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() && len(out) < 3 {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		// A zone index (fe80::1%eth0) cannot be written in nginx.conf.
		if ip := net.ParseIP(f[1]); ip != nil {
			out = append(out, ip.String())
		}
	}
	return out
}

// systemNameservers reads resolvConf; none when it cannot be read (auth-url
// then takes IP addresses only, and says so in an Event).
func systemNameservers() []string {
	data, err := os.ReadFile(resolvConf)
	if err != nil {
		return nil
	}
	return nameservers(data)
}
