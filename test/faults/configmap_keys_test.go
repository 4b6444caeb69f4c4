package faults

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestConfigMapKeysThroughRequests: the ConfigMap keys whose effect a
// client can see, each checked with real requests through nginx (the
// goldens check the rendered directives; this checks what they do).
func TestConfigMapKeysThroughRequests(t *testing.T) {
	host := backend(t, "keys", 1)
	ns := strings.Split(host, ".")[1]
	dir := filepath.Join(tmp, "keys")
	logPath := filepath.Join(dir, "access.log")
	_ = os.RemoveAll(dir) // logs of an earlier run (go test -count)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "atrium-keys"}, Data: map[string]string{
		"use-gzip": "true", "gzip-types": "application/json", "gzip-level": "6",
		"hsts": "true", "hsts-max-age": "600", "hsts-include-subdomains": "false", "ssl-redirect": "false",
		"ssl-protocols": "TLSv1.3", "use-http2": "false",
		"enable-real-ip": "true", "forwarded-for-header": "X-Client-IP", "proxy-real-ip-cidr": "127.0.0.1/32",
		"keep-alive-requests": "2", "proxy-read-timeout": "1", "large-client-header-buffers": "2 1k",
		"access-log-path": logPath, "log-format-escape-json": "true",
		"log-format-upstream": `{"ns": "$namespace", "ingress": "$ingress_name", "service": "$service_name", "status": $status, "ua": "$http_user_agent"}`,
	}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ConfigMaps("default").Delete(context.Background(), cm.Name, metav1.DeleteOptions{})
	})
	// A host listed in spec.tls (its Secret is missing: the default
	// certificate serves), for ssl-redirect.
	tlsHost := "tls." + ns + ".faults.test"
	createIngress(t, ns, "keys-tls", tlsHost, "keys")
	tlsIng, err := cs.NetworkingV1().Ingresses(ns).Get(context.Background(), "keys-tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tlsIng.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{tlsHost}, SecretName: "missing"}}
	if _, err := cs.NetworkingV1().Ingresses(ns).Update(context.Background(), tlsIng, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A pod that never answers a SYN, for proxy-connect-timeout.
	silentHost := "silent." + ns + ".faults.test"
	silent := silentBackend(t, ns, silentHost, nil)
	// The grace period is worker-shutdown-timeout's default: longer than the
	// slow request that checks the key (the harness's 5 s is shorter).
	c := extraController(t, "keys", "--configmap", "default/atrium-keys", "--shutdown-grace-period", "60s")

	client := func(addr string, tc *tls.Config) *http.Client {
		d := &net.Dialer{Timeout: 3 * time.Second}
		tr := &http.Transport{DisableKeepAlives: true, DisableCompression: true, TLSClientConfig: tc,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }}
		if tc != nil {
			tr.ForceAttemptHTTP2 = true
		}
		return &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	get := func(cl *http.Client, scheme string, hdr map[string]string) (*http.Response, []byte, error) {
		req, _ := http.NewRequest("GET", scheme+"://"+host+"/", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := cl.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	plain := clientTo(c.HTTPAddr())
	tls13 := client(c.HTTPSAddr(), &tls.Config{InsecureSkipVerify: true, ServerName: host, MinVersion: tls.VersionTLS13})
	until(t, 30*time.Second, "served with the ConfigMap", func() error {
		// The echo's JSON repeats the request headers: the padding makes it
		// longer than gzip's minimum length.
		r, _, err := get(plain, "http", map[string]string{"Accept-Encoding": "gzip", "X-Pad": strings.Repeat("a", 600)})
		if err != nil {
			return err
		}
		if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" {
			return fmt.Errorf("use-gzip: %d Content-Encoding %q", r.StatusCode, r.Header.Get("Content-Encoding"))
		}
		return nil
	})

	// gzip-types application/json: a text/plain answer (a type of the
	// default list) is not compressed; the same text as JSON is, at level 6.
	text := map[string]string{"Accept-Encoding": "gzip", echo.HeaderText: "65536"}
	if r, _, err := get(plain, "http", text); err != nil || r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip-types application/json: text/plain answer %v %v, want it uncompressed", err, r)
	}
	asJSON := map[string]string{"Accept-Encoding": "gzip", echo.HeaderText: "65536", echo.HeaderHeader: "Content-Type: application/json"}
	r, level6, err := get(plain, "http", asJSON)
	if err != nil || r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip-types application/json: JSON answer %v %v, want it compressed", err, r)
	}

	// hsts: on HTTPS only, with the configured max-age and no includeSubDomains.
	r, _, err = get(tls13, "https", nil)
	if err != nil {
		t.Fatal("TLS 1.3:", err)
	}
	if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=600" {
		t.Errorf("hsts over HTTPS: %q, want max-age=600", got)
	}
	// use-http2 "false": HTTP/1.1 even when the client offers h2.
	if r.ProtoMajor != 1 {
		t.Errorf("use-http2 false: the client got %s", r.Proto)
	}
	if r, _, err := get(plain, "http", nil); err != nil || r.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("hsts must not be sent over plain HTTP: %v %v", err, r.Header)
	}
	// ssl-redirect "false": plain HTTP to a TLS host is served, not redirected.
	until(t, 30*time.Second, "ssl-redirect false", func() error {
		resp, err := plain.Get("http://" + tlsHost + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("plain HTTP to a TLS host: %d, want 200", resp.StatusCode)
		}
		return nil
	})
	// ssl-protocols TLSv1.3: a TLS 1.2-only client cannot connect.
	tls12 := client(c.HTTPSAddr(), &tls.Config{InsecureSkipVerify: true, ServerName: host, MaxVersion: tls.VersionTLS12})
	if _, _, err := get(tls12, "https", nil); err == nil {
		t.Errorf("ssl-protocols TLSv1.3: a TLS 1.2 client was served")
	}
	// enable-real-ip with forwarded-for-header: the address comes from X-Client-IP.
	_, body, err := get(plain, "http", map[string]string{"X-Client-IP": "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := echo.Decode(strings.NewReader(string(body))); e == nil || e.Headers.Get("X-Real-IP") != "203.0.113.7" {
		t.Errorf("enable-real-ip: the endpoint saw %s", body)
	}
	// proxy-read-timeout 1: an endpoint silent for 3 s is a 504.
	if r, _, err := get(plain, "http", map[string]string{echo.HeaderDelay: "3s"}); err != nil || r.StatusCode != 504 {
		t.Errorf("proxy-read-timeout 1: %v %v, want 504", err, r)
	}
	// large-client-header-buffers "2 1k": a 2 KiB header line is refused.
	if r, _, err := get(plain, "http", map[string]string{"X-Big": strings.Repeat("b", 2048)}); err != nil || r.StatusCode != 400 {
		t.Errorf("large-client-header-buffers: %v %v, want 400", err, r)
	}
	// keep-alive-requests 2: nginx closes the connection after the second response.
	conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := 1; i <= 2; i++ {
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("keep-alive request %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if closing := resp.Close; closing != (i == 2) {
			t.Errorf("keep-alive-requests 2: response %d Connection: close = %v", i, closing)
		}
	}

	// log-format-upstream with escape=json and access-log-path: a request
	// with a quote in its User-Agent logs one valid JSON line naming the Ingress.
	if _, _, err := get(plain, "http", map[string]string{"User-Agent": `probe "1"`}); err != nil {
		t.Fatal(err)
	}
	until(t, 10*time.Second, "access log line", func() error {
		b, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var entry struct {
				NS, Ingress, Service, UA string
				Status                   int
			}
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				return fmt.Errorf("not JSON: %q: %v", line, err)
			}
			if entry.UA == `probe "1"` {
				if entry.NS != ns || entry.Ingress != "keys" || entry.Service != "keys" || entry.Status != 200 {
					return fmt.Errorf("logged %+v, want ns %s ingress/service keys status 200", entry, ns)
				}
				return nil
			}
		}
		return fmt.Errorf("no line for the probe in %s", b)
	})

	// A second set of values, applied live to the same ConfigMap.
	cm.Data = map[string]string{
		"use-forwarded-headers": "true", "compute-full-forwarded-for": "true",
		"hsts-max-age": "60", "hsts-include-subdomains": "true", "hsts-preload": "true",
		"ssl-protocols": "TLSv1.2", "ssl-ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384",
		"worker-processes": "1", "keep-alive": "1", "use-gzip": "true",
	}
	applyConfigMap(t, c, cm)
	// use-gzip with the default gzip-level (1) and gzip-types: text/plain
	// is compressed now, and less tightly than at level 6 (about 20 % more
	// bytes for this text; the same level differs by a few bytes at most).
	if r, level1, err := get(plain, "http", text); err != nil || r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("default gzip-types: text/plain answer %v %v, want it compressed", err, r)
	} else if len(level1) <= len(level6)+len(level6)/20 {
		t.Errorf("gzip-level: 64 KiB of text took %d bytes at level 6 and %d at the default 1, want 5 %% more at 1", len(level6), len(level1))
	}
	aes256 := client(c.HTTPSAddr(), &tls.Config{InsecureSkipVerify: true, ServerName: host, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}})
	until(t, 30*time.Second, "second ConfigMap applied", func() error {
		r, _, err := get(aes256, "https", nil)
		if err != nil {
			return err
		}
		if got := r.Header.Get("Strict-Transport-Security"); got != "max-age=60; includeSubDomains; preload" {
			return fmt.Errorf("hsts: %q", got)
		}
		return nil
	})
	// ssl-redirect is back to its default (true): a 308 to HTTPS.
	if resp, err := plain.Get("http://" + tlsHost + "/"); err != nil || resp.StatusCode != 308 {
		t.Errorf("ssl-redirect default: %v %v, want 308", resp, err)
	} else {
		resp.Body.Close()
	}
	// use-forwarded-headers: the redirect to HTTPS goes by the scheme the
	// proxy in front saw (none when it ended TLS), to the host it names.
	for _, c := range []struct {
		hdr          map[string]string
		code         int
		locationHost string
	}{
		{map[string]string{"X-Forwarded-Proto": "https"}, 200, ""},
		{map[string]string{"X-Forwarded-Host": "front.example:8080, inner.example"}, 308, "front.example"},
		// Not a host name as a whole: the request's own host.
		{map[string]string{"X-Forwarded-Host": "app_1.example.com"}, 308, tlsHost},
	} {
		req, _ := http.NewRequest("GET", "http://"+tlsHost+"/x", nil)
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		resp, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != c.code || (c.locationHost != "" && (loc == nil || loc.Hostname() != c.locationHost)) {
			t.Errorf("use-forwarded-headers, %v: %d Location %q, want %d to %q", c.hdr, resp.StatusCode, resp.Header.Get("Location"), c.code, c.locationHost)
		}
	}
	// ssl-ciphers: a TLS 1.2 client without the one allowed cipher is refused.
	aes128 := client(c.HTTPSAddr(), &tls.Config{InsecureSkipVerify: true, ServerName: host, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	if _, _, err := get(aes128, "https", nil); err == nil {
		t.Errorf("ssl-ciphers: a client without ECDHE-ECDSA-AES256-GCM-SHA384 was served")
	}
	// compute-full-forwarded-for: the client's X-Forwarded-For is kept and
	// the peer appended.
	_, body, err = get(plain, "http", map[string]string{"X-Forwarded-For": "198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := echo.Decode(strings.NewReader(string(body))); e == nil || e.Headers.Get("X-Forwarded-For") != "198.51.100.1, 127.0.0.1" {
		t.Errorf("compute-full-forwarded-for: the endpoint saw %s", body)
	}
	// worker-processes 1: once the old workers are gone, the master has one.
	until(t, 30*time.Second, "one nginx worker", func() error {
		n, err := nginxWorkers(filepath.Join(dir, "nginx", "nginx.pid"))
		if err != nil || n != 1 {
			return fmt.Errorf("%d workers (%v)", n, err)
		}
		return nil
	})
	// keep-alive 1: an idle client connection is closed by nginx.
	idle, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_ = idle.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(idle, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	ibr := bufio.NewReader(idle)
	resp, err := http.ReadResponse(ibr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := ibr.ReadByte(); err != io.EOF {
		t.Errorf("keep-alive 1: the idle connection was not closed by nginx: %v", err)
	}

	// Third set: timeouts towards clients and keepalive towards endpoints.
	cm.Data = map[string]string{"client-header-timeout": "1", "client-body-timeout": "1", "upstream-keepalive-connections": "0",
		"hsts": "false", "enable-real-ip": "true", "proxy-real-ip-cidr": "10.0.0.0/8", "worker-processes": "3",
		"compute-full-forwarded-for": "true", "http-redirect-code": "301"}
	applyConfigMap(t, c, cm)
	// http-redirect-code 301: the redirect to HTTPS answers 301, not 308.
	if resp, err := plain.Get("http://" + tlsHost + "/"); err != nil || resp.StatusCode != 301 || !strings.HasPrefix(resp.Header.Get("Location"), "https://"+tlsHost) {
		t.Errorf("http-redirect-code 301: %v %v, want 301 to https://%s", resp, err, tlsHost)
	} else {
		resp.Body.Close()
	}
	// hsts "false": no Strict-Transport-Security, even over HTTPS.
	if r, _, err := get(tls13, "https", nil); err != nil || r.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("hsts false: %v %v, want no Strict-Transport-Security", err, r)
	}
	// proxy-real-ip-cidr 10.0.0.0/8: this client (127.0.0.1) is no trusted
	// proxy, so its X-Forwarded-For is not taken as the client address.
	if _, body, err := get(plain, "http", map[string]string{"X-Forwarded-For": "203.0.113.9"}); err != nil {
		t.Error(err)
	} else if e, _ := echo.Decode(strings.NewReader(string(body))); e == nil || e.Headers.Get("X-Real-IP") != "127.0.0.1" {
		t.Errorf("proxy-real-ip-cidr 10.0.0.0/8: the endpoint saw %s, want X-Real-IP 127.0.0.1", body)
	}
	// compute-full-forwarded-for without use-forwarded-headers: the
	// client's X-Forwarded-For is not trusted, so not passed on in it.
	if _, body, err := get(plain, "http", map[string]string{"X-Forwarded-For": "198.51.100.1"}); err != nil {
		t.Error(err)
	} else if e, _ := echo.Decode(strings.NewReader(string(body))); e == nil || e.Headers.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("compute-full-forwarded-for alone: the endpoint saw %s, want X-Forwarded-For 127.0.0.1", body)
	}
	// worker-processes 3 (more than this machine's CPUs, so not "auto").
	until(t, 30*time.Second, "three nginx workers", func() error {
		n, err := nginxWorkers(filepath.Join(dir, "nginx", "nginx.pid"))
		if err != nil || n != 3 {
			return fmt.Errorf("%d workers (%v)", n, err)
		}
		return nil
	})
	// upstream-keepalive-connections 0: every request reaches the endpoint
	// on a new connection (a new source port each time).
	ports := map[string]bool{}
	for i := 0; i < 3; i++ {
		_, body, err := get(plain, "http", nil)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := echo.Decode(strings.NewReader(string(body)))
		if e == nil {
			t.Fatalf("not an echo: %s", body)
		}
		ports[e.RemoteAddr] = true
	}
	if len(ports) != 3 {
		t.Errorf("upstream-keepalive-connections 0: 3 requests came from %d connections (%v)", len(ports), ports)
	}
	// client-header-timeout 1: a request whose header never ends is closed.
	// client-body-timeout 1: so is one whose body never comes.
	for _, tc := range []struct{ what, send string }{
		{"client-header-timeout", "GET / HTTP/1.1\r\nHost: " + host + "\r\n"},
		{"client-body-timeout", "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 100\r\n\r\nx"},
	} {
		conn, err := net.DialTimeout("tcp", c.HTTPAddr(), 3*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		if _, err := io.WriteString(conn, tc.send); err != nil {
			t.Fatal(err)
		}
		// nginx closes such a connection (logging a 408), with a reset
		// (reset_timedout_connection, as ingress-nginx); without the
		// setting it would wait 60 s, past this 15 s deadline.
		got, err := io.ReadAll(conn)
		conn.Close()
		if errors.Is(err, syscall.ECONNRESET) {
			err = nil
		}
		if err != nil {
			t.Errorf("%s: nginx did not close the connection: %v", tc.what, err)
		} else if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 408") {
			t.Errorf("%s: got %q, want nothing or a 408", tc.what, got)
		}
	}

	fourthConfigMap(t, c, cm, host, silentHost, silent, dir)

	// block-cidrs last: it shuts this client out.
	cm.Data = map[string]string{"block-cidrs": "127.0.0.1/32"}
	if _, err := cs.CoreV1().ConfigMaps("default").Update(context.Background(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	until(t, 30*time.Second, "block-cidrs", func() error {
		r, _, err := get(plain, "http", nil)
		if err != nil || r.StatusCode != 403 {
			return fmt.Errorf("%v %v, want 403", err, r)
		}
		return nil
	})
}

// nginxWorkers counts the worker processes of the master in pidFile.
func nginxWorkers(pidFile string) (int, error) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0, err
	}
	master := strings.TrimSpace(string(b))
	procs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 || f[1] != master {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if strings.HasPrefix(string(cmd), "nginx: worker process") {
			n++
		}
	}
	return n, nil
}
