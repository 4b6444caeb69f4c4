package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAnnotationsRewriteLog: enable-rewrite-log "true" makes nginx log, in
// its error log at the notice level (the default error-log-level), what
// rewrite-target did with a request; the same rewrite without it logs
// nothing. The error log is the local controller's nginx's.
func TestAnnotationsRewriteLog(t *testing.T) {
	if env.local == nil {
		t.Skip("reads nginx's error log, which only the local cluster has")
	}
	t.Parallel()
	ns := newNamespace(t)
	deploy(t, ns, "web", 1)
	logged, quiet := hostFor(ns, "logged"), hostFor(ns, "quiet")
	rewrite := map[string]string{"rewrite-target": "/$2"}
	createIngress(t, withAnnotations(ingress(ns, "quiet", rule(quiet, implSpecific("/app(/|$)(.*)", "web"))), rewrite))
	rewrite["enable-rewrite-log"] = "true"
	createIngress(t, withAnnotations(ingress(ns, "logged", rule(logged, implSpecific("/app(/|$)(.*)", "web"))), rewrite))
	errorLog := filepath.Join(env.local.controller.Opts.Dir, "nginx", "logs", "error.log")
	// rewriteLogged sends /app/<mark> to host, checks that the pod saw
	// /<mark>, and says whether the error log has nginx's line about the
	// rewrite of that request.
	rewriteLogged := func(host string) (bool, error) {
		mark := fmt.Sprintf("rewrite-%d", time.Now().UnixNano())
		if err := expectEcho(request{host: host, path: "/app/" + mark}, "web", "/"+mark)(); err != nil {
			return false, err
		}
		b, err := os.ReadFile(errorLog)
		if err != nil {
			return false, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "[notice]") && strings.Contains(line, `rewritten data: "/`+mark+`"`) {
				return true, nil
			}
		}
		return false, nil
	}
	eventually(t, settle, "enable-rewrite-log true", func() error {
		if ok, err := rewriteLogged(logged); err != nil || !ok {
			return fmt.Errorf("enable-rewrite-log true: the rewrite was not logged (%v)", err)
		}
		return nil
	})
	eventually(t, settle, "no enable-rewrite-log", func() error {
		if ok, err := rewriteLogged(quiet); err != nil || ok {
			return fmt.Errorf("without enable-rewrite-log: the rewrite was logged: %v (%v), want not", ok, err)
		}
		return nil
	})
}
