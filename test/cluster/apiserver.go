package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"k8s.io/client-go/rest"
)

// apiserverArgs are the flags for our kube-apiserver. Notable choices:
// --endpoint-reconciler-type none, because the "kubernetes" Endpoints would
// otherwise point at 127.0.0.1, and a ClusterIP range that is only
// bookkeeping (no kube-proxy: nothing may ever be sent there).
func (cp *ControlPlane) apiserverArgs() []string {
	args := []string{cp.apiserverBin,
		"--etcd-servers", cp.etcdURL,
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", cp.path("sa.key"),
		"--service-account-signing-key-file", cp.path("sa.key"),
		"--token-auth-file", cp.path("tokens.csv"),
		"--authorization-mode", "RBAC",
		"--cert-dir", cp.path("certs"),
		"--secure-port", strconv.Itoa(cp.apiPort),
		"--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1",
		"--endpoint-reconciler-type", "none",
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--allow-privileged",
		"--profiling=false",
	}
	return append(args, cp.opts.APIServerArgs...)
}

// startAPIServer starts kube-apiserver and waits for /readyz. The first
// start picks a free port (retrying on a clash); restarts reuse the port,
// the etcd data and the self-signed certificate in the cert dir, so
// clients built from Config keep working across a restart.
func (cp *ControlPlane) startAPIServer(ctx context.Context, first bool) error {
	for attempt := 1; ; attempt++ {
		if first {
			port, err := freePort()
			if err != nil {
				return err
			}
			cp.apiPort = port
		}
		p, err := startProcess("kube-apiserver", cp.path("kube-apiserver.log"), cp.apiserverArgs(), false)
		if err != nil {
			return err
		}
		err = waitReady(ctx, cp.opts.StartTimeout, p, func(ctx context.Context) error {
			return cp.apiserverReady(ctx, first)
		})
		if err == nil {
			cp.mu.Lock()
			cp.apiserver = p
			cp.mu.Unlock()
			return nil
		}
		p.stop()
		if !first || attempt == 3 || !portClash(p) {
			return err
		}
	}
}

// apiserverReady checks /readyz as admin. During the first start it
// (re)builds Config on every poll from the self-signed certificate the
// apiserver writes to its cert dir (the file holds the serving cert
// followed by the CA that signed it, so trusting the file verifies the
// connection); rereading means a half-written file cannot stick. Restarts
// reuse that certificate, so Config, and clients made from it, stay valid.
func (cp *ControlPlane) apiserverReady(ctx context.Context, first bool) error {
	if first {
		pem, err := os.ReadFile(cp.path("certs/apiserver.crt"))
		if err != nil {
			return err
		}
		cp.Config = &rest.Config{
			Host:            fmt.Sprintf("https://127.0.0.1:%d", cp.apiPort),
			BearerToken:     cp.token,
			TLSClientConfig: rest.TLSClientConfig{CAData: pem},
			// Tests create objects in bursts; the client-go default (5 QPS)
			// would make them measure the client's rate limiter.
			QPS:   200,
			Burst: 400,
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cp.Config.CAData) {
		return fmt.Errorf("%w: no certificate in %s yet", errNotReady, cp.path("certs/apiserver.crt"))
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cp.Config.Host+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cp.token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: /readyz %s: %s", errNotReady, resp.Status, body)
	}
	return nil
}

// StopAPIServer terminates kube-apiserver, leaving etcd and its data, for
// fault tests ("apiserver unavailable for 30s"). Idempotent.
func (cp *ControlPlane) StopAPIServer() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.apiserver != nil {
		cp.apiserver.stop()
		cp.apiserver = nil
		cp.portHold = holdPort(cp.apiPort)
	}
}

// StartAPIServer restarts kube-apiserver after StopAPIServer on the same
// port, certificate and etcd data, and waits until it is ready. It is a
// no-op while the apiserver runs.
func (cp *ControlPlane) StartAPIServer() error {
	cp.mu.Lock()
	running, stopped := cp.apiserver != nil, cp.stopped
	if !running && !stopped {
		releasePort(cp.portHold)
		cp.portHold = -1
	}
	cp.mu.Unlock()
	if stopped {
		return errors.New("cluster: StartAPIServer after Stop")
	}
	if running {
		return nil
	}
	return cp.startAPIServer(context.Background(), false)
}
