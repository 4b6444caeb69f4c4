package reconcile

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
)

// resolvConf is where the controller's (and so nginx's) DNS servers are
// configured; in a pod, the cluster DNS.
const resolvConf = "/etc/resolv.conf"

// nameservers returns the IP addresses of the nameserver lines of a
// resolv.conf; nothing when it cannot be read. nginx resolves mirror-target
// host names with them at request time, as ingress-nginx does.
func nameservers(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		// A zone suffix (fe80::1%eth0) is not for nginx; skip such entries.
		if ip := net.ParseIP(f[1]); ip != nil {
			out = append(out, ip.String())
		}
	}
	return out
}
