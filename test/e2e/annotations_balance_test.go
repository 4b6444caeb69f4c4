package e2e

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atrium-ingress/atrium/test/echoserver/echo"
)

// affinityCookie returns the value of the affinity cookie name set by a
// response ("" if none) and the whole Set-Cookie line.
func affinityCookie(r *result, name string) (value, line string) {
	for _, l := range r.header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			value, _, _ = strings.Cut(v, ";")
			return value, l
		}
	}
	return "", ""
}

// withCookie is a request carrying one cookie.
func withCookie(host, name, value string) request {
	return request{host: host, path: "/", header: http.Header{"Cookie": {name + "=" + value}}}
}

// TestAnnotationsUpstreamHashBy: requests with the same key go to the same
// pod; adding a pod moves keys only to the new pod.
func TestAnnotationsUpstreamHashBy(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 3)
	host := hostFor(ns, "hash")
	createIngress(t, annotated(ns, "hash", host, "web", map[string]string{"upstream-hash-by": "user-${http_x_user}"}))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	user := func(u string) request { return request{host: host, path: "/", header: http.Header{"X-User": {u}}} }
	// podOf asks 4 times and wants one pod.
	podOf := func(u string) (string, error) {
		pod := ""
		for i := 0; i < 4; i++ {
			r, err := do(user(u))
			if err != nil || r.status != 200 {
				return "", fmt.Errorf("user %s: %v %v", u, r, err)
			}
			if pod != "" && r.pod() != pod {
				return "", fmt.Errorf("user %s went to %s and %s", u, pod, r.pod())
			}
			pod = r.pod()
		}
		return pod, nil
	}
	before := map[string]string{}
	eventually(t, settle, "hash policy in place", func() error {
		pods := map[string]bool{}
		for i := 0; i < 12; i++ {
			u := fmt.Sprintf("u%d", i)
			p, err := podOf(u)
			if err != nil {
				return err
			}
			before[u], pods[p] = p, true
		}
		// 12 keys on one pod of 3: (1/3)^11, about 6e-6.
		if len(pods) < 2 {
			return fmt.Errorf("12 users all on %v", keys(pods))
		}
		return nil
	})
	pods := scale(t, ns, "web", 4)
	added := pods[len(pods)-1]
	eventually(t, settle, "the new pod takes keys, the others keep theirs", func() error {
		moved := 0
		for u, old := range before {
			p, err := podOf(u)
			if err != nil {
				return err
			}
			if p != old {
				if p != added {
					return fmt.Errorf("user %s moved from %s to %s, not to the new pod %s", u, old, p, added)
				}
				moved++
			}
		}
		// Requests reach the new pod once the endpoint table has it.
		if r, err := do(user("probe-" + added)); err != nil || r.status != 200 {
			return fmt.Errorf("probe: %v %v", r, err)
		}
		if moved == len(before) {
			return fmt.Errorf("every key moved: not consistent hashing")
		}
		return nil
	})
}

// TestAnnotationsUpstreamHashBySubset: with 6 pods and subsets of 3, the
// requests with one key spread over exactly 3 pods, the same 3 each time,
// and another key's subset is as stable.
func TestAnnotationsUpstreamHashBySubset(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 6)
	host := hostFor(ns, "subset")
	createIngress(t, annotated(ns, "subset", host, "web", map[string]string{
		"upstream-hash-by": "$http_x_user", "upstream-hash-by-subset": "true", "upstream-hash-by-subset-size": "3"}))
	eventually(t, settle, "served", expect(request{host: host, path: "/"}, 200, "web-"))
	// podsOf asks 60 times: missing one pod of a 3-pod subset has a
	// chance of 3*(2/3)^60, about 1e-10.
	podsOf := func(u string) (map[string]bool, error) {
		pods := map[string]bool{}
		for i := 0; i < 60; i++ {
			r, err := do(request{host: host, path: "/", header: http.Header{"X-User": {u}}})
			if err != nil || r.status != 200 {
				return nil, fmt.Errorf("user %s: %v %v", u, r, err)
			}
			pods[r.pod()] = true
		}
		return pods, nil
	}
	eventually(t, settle, "each key spread over its own 3 pods, stable", func() error {
		for _, u := range []string{"alice", "bob"} {
			first, err := podsOf(u)
			if err != nil {
				return err
			}
			if len(first) != 3 {
				return fmt.Errorf("user %s reached %d pods %v, want 3", u, len(first), keys(first))
			}
			again, err := podsOf(u)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(first, again) {
				return fmt.Errorf("user %s reached %v, then %v", u, keys(first), keys(again))
			}
		}
		return nil
	})
	// A 7th pod: a key's subset keeps its pods or trades one for the new
	// pod. Of 16 keys, none taking the new pod has a chance of (4/7)^16,
	// about 1e-4; all taking it, (3/7)^16.
	before := map[string]map[string]bool{}
	for i := 0; i < 16; i++ {
		u := fmt.Sprintf("u%d", i)
		p, err := podsOf(u)
		if err != nil || len(p) != 3 {
			t.Fatalf("user %s: %v %v", u, keys(p), err)
		}
		before[u] = p
	}
	pods := scale(t, ns, "web", 7)
	added := pods[len(pods)-1]
	eventually(t, settle, "only keys whose subset takes the new pod move, by that pod", func() error {
		moved := 0
		for u, old := range before {
			now, err := podsOf(u)
			if err != nil {
				return err
			}
			if len(now) != 3 {
				return fmt.Errorf("user %s reached %d pods %v, want 3", u, len(now), keys(now))
			}
			for p := range now {
				if !old[p] && p != added {
					return fmt.Errorf("user %s moved from %v to %v, not only to the new pod %s", u, keys(old), keys(now), added)
				}
			}
			if now[added] {
				moved++
			}
		}
		if moved == 0 {
			return fmt.Errorf("no key's subset took the new pod %s yet", added)
		}
		if moved == len(before) {
			return fmt.Errorf("every key's subset changed: not consistent")
		}
		return nil
	})
}

// TestAnnotationsAffinity: the cookie pins a client to a pod (balanced and
// persistent), survives changes of other endpoints, moves when its pod
// goes; the cookie carries the settings asked for.
func TestAnnotationsAffinity(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 3)
	balanced, persistent := hostFor(ns, "balanced"), hostFor(ns, "persistent")
	createIngress(t, annotated(ns, "balanced", balanced, "web", map[string]string{"affinity": "cookie"}))
	createIngress(t, annotated(ns, "persistent", persistent, "web", map[string]string{
		"affinity": "cookie", "affinity-mode": "persistent", "session-cookie-name": "route", "session-cookie-path": "/app",
		"session-cookie-domain": persistent, "session-cookie-max-age": "3600", "session-cookie-samesite": "Strict",
		"session-cookie-secure": "true",
	}))
	type session struct{ cookie, pod string }
	// sessions opens sessions until every pod has one (at most 60 tries).
	sessions := func(host, name string) (map[string]session, error) {
		out := map[string]session{}
		pods := map[string]bool{}
		for i := 0; i < 60 && len(pods) < 3; i++ {
			r, err := get(host, "/")
			if err != nil || r.status != 200 {
				return nil, fmt.Errorf("%v %v", r, err)
			}
			c, _ := affinityCookie(r, name)
			if c == "" {
				return nil, fmt.Errorf("no %s cookie: %v", name, r.header.Values("Set-Cookie"))
			}
			out[c] = session{c, r.pod()}
			pods[r.pod()] = true
		}
		if len(pods) < 3 {
			return nil, fmt.Errorf("new sessions reached only %v", keys(pods))
		}
		return out, nil
	}
	// follow checks a session's requests all reach one pod, as a browser
	// sends them (a new cookie replaces the old), and returns the pod and
	// any new cookie.
	follow := func(host, name string, s session) (pod, newCookie string, err error) {
		cookie := s.cookie
		for i := 0; i < 5; i++ {
			r, err := do(withCookie(host, name, cookie))
			if err != nil || r.status != 200 {
				return "", "", fmt.Errorf("%v %v", r, err)
			}
			if pod != "" && r.pod() != pod {
				return "", "", fmt.Errorf("session on %s went to %s and %s", s.pod, pod, r.pod())
			}
			pod = r.pod()
			if c, _ := affinityCookie(r, name); c != "" {
				newCookie, cookie = c, c
			}
		}
		return pod, newCookie, nil
	}

	eventually(t, settle, "affinity in place", expect(request{host: persistent, path: "/"}, 200, "web-"))
	var line string
	eventually(t, settle, "cookie settings", func() error {
		r, err := get(persistent, "/")
		if err != nil {
			return err
		}
		_, line = affinityCookie(r, "route")
		for _, want := range []string{"Path=/app", "Domain=" + persistent, "Max-Age=3600", "SameSite=Strict", "Secure", "HttpOnly"} {
			if !strings.Contains(line, want) {
				return fmt.Errorf("Set-Cookie %q lacks %q", line, want)
			}
		}
		return nil
	})
	r, err := get(balanced, "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, l := affinityCookie(r, "INGRESSCOOKIE"); !strings.Contains(l, "Path=/;") || strings.Contains(l, "Secure") || !strings.Contains(l, "HttpOnly") {
		t.Fatalf("default cookie over plain HTTP: %q, want INGRESSCOOKIE, Path=/, HttpOnly, not Secure", l)
	}

	all := map[string]map[string]session{}
	for host, name := range map[string]string{balanced: "INGRESSCOOKIE", persistent: "route"} {
		var ss map[string]session
		eventually(t, settle, "sessions on every pod of "+host, func() (err error) { ss, err = sessions(host, name); return err })
		for _, s := range ss {
			if pod, c, err := follow(host, name, s); err != nil || pod != s.pod || c != "" {
				t.Fatalf("%s: session on %s: later requests went to %s (new cookie %q, %v)", host, s.pod, pod, c, err)
			}
		}
		all[host] = ss
	}

	// A pod more: persistent sessions all stay; balanced ones stay or
	// move to the new pod (consistent hashing rebalances on scale-up).
	pods := scale(t, ns, "web", 4)
	added := pods[3]
	eventually(t, settle, "the new pod serves new sessions", func() error {
		for i := 0; i < 40; i++ {
			if r, err := get(persistent, "/"); err == nil && r.pod() == added {
				return nil
			}
		}
		return fmt.Errorf("no new session on %s", added)
	})
	for host, name := range map[string]string{balanced: "INGRESSCOOKIE", persistent: "route"} {
		for _, s := range all[host] {
			pod, _, err := follow(host, name, s)
			if err != nil || (pod != s.pod && (host == persistent || pod != added)) {
				t.Fatalf("%s: after a scale-up the session on %s went to %s (%v)", host, s.pod, pod, err)
			}
		}
	}

	// Two pods left: sessions on them stay, the others move to them
	// (persistent ones with a new cookie).
	remaining := scale(t, ns, "web", 2)
	left := map[string]bool{remaining[0]: true, remaining[1]: true}
	eventually(t, settle, "removed pods no longer answer", func() error {
		for i := 0; i < 20; i++ {
			if r, err := get(balanced, "/"); err != nil || !left[r.pod()] {
				return fmt.Errorf("answered by %v (%v), want one of %v", r, err, remaining)
			}
		}
		return nil
	})
	moved, stayed := 0, 0
	for host, name := range map[string]string{balanced: "INGRESSCOOKIE", persistent: "route"} {
		for _, s := range all[host] {
			pod, c, err := follow(host, name, s)
			switch {
			case err != nil:
				t.Fatalf("%s: %v", host, err)
			case left[s.pod] && pod != s.pod:
				t.Fatalf("%s: the session on %s, which remains, went to %s", host, s.pod, pod)
			case !left[s.pod] && !left[pod]:
				t.Fatalf("%s: the session on the removed %s went to %s, not a remaining pod", host, s.pod, pod)
			case !left[s.pod] && host == persistent && c == "":
				t.Fatalf("%s: the session on the removed %s moved to %s without a new cookie", host, s.pod, pod)
			case left[s.pod]:
				stayed++
			default:
				moved++
			}
		}
	}
	if moved == 0 || stayed == 0 {
		t.Fatalf("moved %d, stayed %d: every pod had sessions and some pods went, so both must happen", moved, stayed)
	}
}

// TestAnnotationsLoadBalance: least_conn avoids the pod busy with a slow
// request; ewma avoids the pod that answered slowly.
func TestAnnotationsLoadBalance(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 2)
	lc, ewma, rr := hostFor(ns, "lc"), hostFor(ns, "ewma"), hostFor(ns, "rr")
	createIngress(t, annotated(ns, "lc", lc, "web", map[string]string{"load-balance": "least_conn"}))
	createIngress(t, annotated(ns, "ewma", ewma, "web", map[string]string{"load-balance": "ewma"}))
	createIngress(t, annotated(ns, "rr", rr, "web", map[string]string{"load-balance": "round_robin"}))
	for _, h := range []string{lc, ewma, rr} {
		eventually(t, settle, h+" served", expect(request{host: h, path: "/"}, 200, "web-"))
	}
	slow := request{path: "/", header: http.Header{echo.HeaderDelay: {"3s"}}}
	// avoided sends a slow request to host, then (while it is in flight,
	// or after it ended for ewma) 10 quick ones, which must all reach the
	// other pod.
	avoided := func(host string, wait bool) error {
		slow.host = host
		var wg sync.WaitGroup
		var busy string
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := do(slow); err == nil {
				busy = r.pod()
			}
		}()
		if wait {
			wg.Wait()
		} else {
			time.Sleep(500 * time.Millisecond)
		}
		seen := map[string]bool{}
		for i := 0; i < 10; i++ {
			r, err := get(host, "/")
			if err != nil || r.status != 200 {
				return fmt.Errorf("%v %v", r, err)
			}
			seen[r.pod()] = true
		}
		wg.Wait()
		if busy == "" || len(seen) != 1 || seen[busy] {
			return fmt.Errorf("slow request on %q, quick ones on %v", busy, keys(seen))
		}
		return nil
	}
	eventually(t, settle, "least_conn avoids the busy pod", func() error { return avoided(lc, false) })
	eventually(t, settle, "ewma avoids the slow pod", func() error { return avoided(ewma, true) })
	// round_robin does not: the quick requests reach both pods.
	if err := avoided(rr, false); err == nil {
		t.Fatalf("round_robin avoided the busy pod: the test cannot tell the algorithms apart")
	}
}

// TestAnnotationsAffinityCookieAttributes: session-cookie-expires writes
// an Expires date, and session-cookie-conditional-samesite-none leaves
// SameSite=None out for the browsers that misread it (ingress-nginx's
// user-agent list: iOS 12, Chrome 51-66, ...) and keeps it for others.
func TestAnnotationsAffinityCookieAttributes(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host := hostFor(ns, "attrs")
	createIngress(t, annotated(ns, "attrs", host, "web", map[string]string{
		"affinity": "cookie", "session-cookie-name": "s", "session-cookie-expires": "3600",
		"session-cookie-samesite": "None", "session-cookie-conditional-samesite-none": "true",
	}))
	line := func(ua string) (string, error) {
		r, err := do(request{host: host, path: "/", header: http.Header{"User-Agent": {ua}}})
		if err != nil {
			return "", err
		}
		_, l := affinityCookie(r, "s")
		if l == "" {
			return "", fmt.Errorf("no cookie s: %v", r.header.Values("Set-Cookie"))
		}
		return l, nil
	}
	const modern = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	const ios12 = "Mozilla/5.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1"
	eventually(t, settle, "Expires and SameSite=None for a modern browser", func() error {
		l, err := line(modern)
		if err != nil {
			return err
		}
		exp := ""
		for _, part := range strings.Split(l, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Expires="); ok {
				exp = v
			}
		}
		// nginx's cookie date (ngx.cookie_time), which browsers read.
		when, err := time.Parse("Mon, 02-Jan-06 15:04:05 MST", exp)
		if err != nil || time.Until(when) < 50*time.Minute || time.Until(when) > 70*time.Minute {
			return fmt.Errorf("Set-Cookie %q: Expires %q is not about an hour ahead (%v)", l, exp, err)
		}
		if !strings.Contains(l, "SameSite=None") {
			return fmt.Errorf("Set-Cookie %q lacks SameSite=None", l)
		}
		return nil
	})
	l, err := line(ios12)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(l, "SameSite") {
		t.Errorf("iOS 12 got %q, want no SameSite attribute", l)
	}
}

// TestAnnotationsAffinityChangeOnFailure: when a session's endpoint stops
// answering while still listed, session-cookie-change-on-failure "true"
// moves the session to another endpoint (with a new cookie); without it
// the request stays with the failed endpoint and fails, as in
// ingress-nginx. Local only: it stops a pod's server behind Kubernetes'
// back, which a real cluster would notice and take out of the endpoints.
func TestAnnotationsAffinityChangeOnFailure(t *testing.T) {
	if env.local == nil {
		t.Skip("needs a pod whose server stops while it stays in the EndpointSlice")
	}
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 2)
	change, stay := hostFor(ns, "change"), hostFor(ns, "stay")
	for name, host := range map[string]string{"change": change, "stay": stay} {
		ann := map[string]string{"affinity": "cookie", "affinity-mode": "persistent", "session-cookie-name": "s"}
		if name == "change" {
			ann["session-cookie-change-on-failure"] = "true"
		}
		createIngress(t, annotated(ns, name, host, "web", ann))
	}
	// One session per host, both on the same pod.
	open := func(host, pod string) (string, error) {
		for i := 0; i < 40; i++ {
			r, err := get(host, "/")
			if err != nil || r.status != 200 {
				return "", fmt.Errorf("%v %v", r, err)
			}
			if c, _ := affinityCookie(r, "s"); c != "" && (pod == "" || r.pod() == pod) {
				return c + " " + r.pod(), nil
			}
		}
		return "", fmt.Errorf("no session on %q", pod)
	}
	var first string
	eventually(t, settle, "sessions", func() (err error) { first, err = open(change, ""); return err })
	changeCookie, pod, _ := strings.Cut(first, " ")
	second, err := open(stay, pod)
	if err != nil {
		t.Fatal(err)
	}
	stayCookie, _, _ := strings.Cut(second, " ")

	b := env.backends.(*podBackends)
	b.mu.Lock()
	for _, p := range b.pods[ns+"/web"] {
		if p.Name == pod {
			p.Stop()
		}
	}
	b.mu.Unlock()

	r, err := do(withCookie(change, "s", changeCookie))
	if err != nil || r.status != 200 || r.pod() == pod {
		t.Errorf("change-on-failure: %v %v, want 200 from the other pod", r, err)
	} else if c, _ := affinityCookie(r, "s"); c == "" || c == changeCookie {
		t.Errorf("change-on-failure: the session was not given a new cookie (%q)", c)
	}
	if r, err := do(withCookie(stay, "s", stayCookie)); err != nil || r.status != 502 {
		t.Errorf("without change-on-failure: %v %v, want 502 from the stopped pod", r, err)
	}
}

// TestAnnotationsAffinityCookiePartitioned: session-cookie-partitioned
// makes the affinity cookie Partitioned when it is Secure: over HTTPS, and
// over plain HTTP with session-cookie-secure; otherwise over plain HTTP the
// cookie stays unpartitioned (browsers drop a Partitioned cookie without
// Secure).
func TestAnnotationsAffinityCookiePartitioned(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	host, secure := hostFor(ns, "chips"), hostFor(ns, "chips-secure")
	createIngress(t, annotated(ns, "chips", host, "web", map[string]string{
		"affinity": "cookie", "session-cookie-name": "s", "session-cookie-samesite": "None", "session-cookie-partitioned": "true",
	}))
	createIngress(t, annotated(ns, "chips-secure", secure, "web", map[string]string{
		"affinity": "cookie", "session-cookie-name": "s", "session-cookie-secure": "true", "session-cookie-partitioned": "true",
	}))
	// cookie checks the affinity cookie of one request for the attributes
	// in want (true: present).
	cookie := func(rq request, want map[string]bool) func() error {
		return func() error {
			r, err := do(rq)
			if err != nil {
				return err
			}
			_, l := affinityCookie(r, "s")
			if l == "" {
				return fmt.Errorf("%s: no cookie s: %v", rq.host, r.header.Values("Set-Cookie"))
			}
			attrs := map[string]bool{}
			for _, a := range strings.Split(l, ";")[1:] {
				attrs[strings.TrimSpace(a)] = true
			}
			for a, on := range want {
				if attrs[a] != on {
					return fmt.Errorf("%s (https %v): Set-Cookie %q, want %s present: %v", rq.host, rq.https, l, a, on)
				}
			}
			return nil
		}
	}
	eventually(t, settle, "Partitioned over HTTPS", cookie(request{host: host, path: "/", https: true},
		map[string]bool{"Secure": true, "Partitioned": true, "SameSite=None": true}))
	eventually(t, settle, "Partitioned with session-cookie-secure", cookie(request{host: secure, path: "/"},
		map[string]bool{"Secure": true, "Partitioned": true}))
	if err := cookie(request{host: host, path: "/"}, map[string]bool{"Secure": false, "Partitioned": false})(); err != nil {
		t.Error(err)
	}
}
