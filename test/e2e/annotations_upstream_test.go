package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// TestAnnotationsNextUpstreamTimeout: proxy-next-upstream-timeout stops
// the retries once that many seconds passed since the first try. Every
// pod answers 502 after 0.7 s, which proxy-next-upstream http_502 makes a
// reason to try the next one (tries 0: each of the 4 pods once): without
// the timeout a request takes 4 tries (2.8 s), with 1 s the second try
// is the last (1.4 s).
func TestAnnotationsNextUpstreamTimeout(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "slow", 4)
	limited, unlimited := hostFor(ns, "limited"), hostFor(ns, "unlimited")
	retries := map[string]string{"proxy-next-upstream": "error timeout http_502", "proxy-next-upstream-tries": "0"}
	createIngress(t, annotated(ns, "unlimited", unlimited, "slow", retries))
	retries["proxy-next-upstream-timeout"] = "1"
	createIngress(t, annotated(ns, "limited", limited, "slow", retries))
	for _, h := range []string{limited, unlimited} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "slow-"))
	}
	failing := http.Header{echo.HeaderStatus: {"502"}, echo.HeaderDelay: {"700ms"}}
	took := func(host string) (time.Duration, error) {
		start := time.Now()
		r, err := do(request{host: host, path: "/", header: failing})
		if err != nil {
			return 0, err
		}
		if r.status != 502 {
			return 0, fmt.Errorf("%s: %s, want 502", host, r)
		}
		return time.Since(start), nil
	}
	eventually(t, settle, "proxy-next-upstream-timeout 1", func() error {
		if d, err := took(limited); err != nil || d < 1300*time.Millisecond || d > 2100*time.Millisecond {
			return fmt.Errorf("with proxy-next-upstream-timeout 1 the request took %v (%v), want 2 tries of 0.7 s", d, err)
		}
		return nil
	})
	eventually(t, settle, "no proxy-next-upstream-timeout", func() error {
		if d, err := took(unlimited); err != nil || d < 2700*time.Millisecond {
			return fmt.Errorf("without proxy-next-upstream-timeout the request took %v (%v), want 4 tries of 0.7 s", d, err)
		}
		return nil
	})
}

// TestAnnotationsBuffersAndTempFile: with proxy-buffering on, nginx takes
// an answer from the pod while the client reads nothing as far as its
// buffers (proxy-buffers-number of proxy-buffer-size) and its temporary
// file (proxy-max-temp-file-size) hold it. A 64 MiB answer (more than the
// socket buffers on the way) is taken whole with the default temporary
// file (1024m), not with a 1m one, and without any temporary file when 80
// buffers of 1m hold it.
func TestAnnotationsBuffersAndTempFile(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	spill, small, many := hostFor(ns, "spill"), hostFor(ns, "small"), hostFor(ns, "many")
	buffered := map[string]string{"proxy-buffering": "on", "proxy-buffer-size": "1m"}
	createIngress(t, annotated(ns, "spill", spill, "web", buffered))
	buffered["proxy-max-temp-file-size"] = "1m"
	createIngress(t, annotated(ns, "small", small, "web", buffered))
	buffered["proxy-max-temp-file-size"], buffered["proxy-buffers-number"] = "0", "80"
	createIngress(t, annotated(ns, "many", many, "web", buffered))
	for _, h := range []string{spill, small, many} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	for _, c := range []struct {
		host, what string
		want       bool
		wait       time.Duration
	}{
		{spill, "4 buffers and the default temporary file (1024m)", true, 20 * time.Second},
		{small, "4 buffers and proxy-max-temp-file-size 1m", false, 8 * time.Second},
		{many, "proxy-buffers-number 80 and proxy-max-temp-file-size 0", true, 20 * time.Second},
	} {
		eventuallyOnce(t, settle, c.what, func() error {
			if taken, err := takenWhileUnread(c.host, c.wait); err != nil || taken != c.want {
				return fmt.Errorf("%s: a 64 MiB answer taken from the pod while unread: %v (%v), want %v", c.what, taken, err, c.want)
			}
			return nil
		})
	}
}
