package reconcile

import (
	"reflect"
	"testing"
)

func TestNameservers(t *testing.T) {
	got := nameservers([]byte("# comment\nsearch ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\n" +
		"nameserver  fe80::1%eth0\nnameserver 2001:db8::53\noptions ndots:5\nnameserver not-an-ip\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n"))
	if want := []string{"10.96.0.10", "2001:db8::53", "192.0.2.1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("nameservers = %v, want %v", got, want)
	}
	if got := nameservers(nil); got != nil {
		t.Errorf("no file: %v", got)
	}
}
