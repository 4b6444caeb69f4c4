package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// startEtcd runs a single-member etcd on two free loopback ports. fsync is
// off: the data only has to survive kube-apiserver restarts, not crashes,
// and fsync dominates apiserver write latency on shared CI disks.
func (cp *ControlPlane) startEtcd(ctx context.Context, bin string) error {
	for attempt := 1; ; attempt++ {
		clientPort, err := freePort()
		if err != nil {
			return err
		}
		peerPort, err := freePort()
		if err != nil {
			return err
		}
		client := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
		peer := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
		p, err := startProcess("etcd", cp.path("etcd.log"), []string{bin,
			"--name", "default",
			"--data-dir", cp.path("etcd"),
			"--listen-client-urls", client,
			"--advertise-client-urls", client,
			"--listen-peer-urls", peer,
			"--initial-advertise-peer-urls", peer,
			"--initial-cluster", "default=" + peer,
			"--unsafe-no-fsync",
			"--log-level", "warn",
		}, false)
		if err != nil {
			return err
		}
		err = waitReady(ctx, cp.opts.StartTimeout, p, func(ctx context.Context) error {
			return etcdHealthy(ctx, client)
		})
		if err == nil {
			cp.mu.Lock()
			cp.etcd, cp.etcdURL = p, client
			cp.mu.Unlock()
			return nil
		}
		p.stop()
		if attempt == 3 || !portClash(p) {
			return err
		}
	}
}

func etcdHealthy(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"health":"true"`) {
		return fmt.Errorf("%w: %s %s", errNotReady, resp.Status, body)
	}
	return nil
}
