package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/atrium-ingress/atrium/test/harness"
)

// refConf is the hand-written nginx W1 compares Atrium against: what an
// operator would write for one host and two pods, and nothing else. Only
// what differs from nginx's defaults for a keepalive proxy is set, plus
// the things both must agree on: worker_processes and access_log off
// (Atrium's default). Everything is under the bench's own prefix.
var refConf = template.Must(template.New("ref").Parse(`worker_processes {{.Workers}};
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log notice;
events {
    worker_connections 16384;
}
http {
    access_log off;
    client_body_temp_path {{.Dir}}/tmp/client_body;
    proxy_temp_path {{.Dir}}/tmp/proxy;
    fastcgi_temp_path {{.Dir}}/tmp/fastcgi;
    uwsgi_temp_path {{.Dir}}/tmp/uwsgi;
    scgi_temp_path {{.Dir}}/tmp/scgi;
    upstream pods {
{{- range .Servers}}
        server {{.}};
{{- end}}
        keepalive 32;
    }
    server {
        listen {{.Listen}};
        location / {
            proxy_pass http://pods;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
{{- if .Headers}}
            # The request headers Atrium sends (ingress-nginx's set), to
            # tell their cost apart from the rest of Atrium's path.
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Port $server_port;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Scheme $scheme;
            proxy_set_header X-Scheme $scheme;
            proxy_set_header X-Original-Forwarded-For $http_x_forwarded_for;
{{- end}}
        }
    }
}
`))

// refNginx is the reference nginx, a child of the bench in its own dir.
type refNginx struct {
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startReference writes the reference config into dir (with headers:
// plus Atrium's forwarding request headers) and starts
// /usr/sbin/nginx in the foreground on a free loopback port; it returns
// once the port accepts connections.
func startReference(ctx context.Context, dir string, servers []string, headers bool) (*refNginx, error) {
	port, err := harness.FreePort()
	if err != nil {
		return nil, err
	}
	// Workers run as nobody: they must traverse dir to reach tmp/.
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conf strings.Builder
	if err := refConf.Execute(&conf, map[string]any{"Workers": workerProcesses, "Dir": dir, "Listen": addr, "Servers": servers, "Headers": headers}); err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own copy
	cmd := exec.Command("/usr/sbin/nginx", "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, and killed with the bench if the bench dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &refNginx{Addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("reference nginx exited: %s", harness.Tail(filepath.Join(dir, "error.log"), 10)+harness.Tail(log.Name(), 10))
		default:
		}
		if time.Now().After(deadline) || !sleepCtx(ctx, 50*time.Millisecond) {
			r.stop()
			return nil, fmt.Errorf("reference nginx not listening on %s: %v", addr, err)
		}
	}
}

// stop ends the reference by its master's PID: SIGQUIT (graceful), then
// SIGKILL to its process group (master and workers) after 5 s.
func (r *refNginx) stop() {
	pid := r.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-r.done
	}
}
