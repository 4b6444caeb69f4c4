package reconcile

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestNameservers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	conf := "# comment\nsearch ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\nnameserver  fd00::a \n" +
		"nameserver fe80::1%eth0\nnameserver not-an-ip;\noptions ndots:5\nnameserver\n"
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := nameservers(p), []string{"10.96.0.10", "fd00::a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("nameservers = %v, want %v", got, want)
	}
	if got := nameservers(filepath.Join(t.TempDir(), "missing")); got != nil {
		t.Errorf("missing file: %v", got)
	}
}
