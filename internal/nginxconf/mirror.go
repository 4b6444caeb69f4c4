package nginxconf

import (
	"sort"

	"github.com/atrium-ingress/atrium/internal/annotations"
)

// Mirroring, as ingress-nginx has it: mirror-target copies the requests of
// all an Ingress's paths through one internal location per server.

// mirrorSettings turns mirror-target and its companions of Ingress ns/name
// into a location's mirror; nil without mirror-target.
func mirrorSettings(ns, name string, s annotations.Set) *Mirror {
	t := s.MirrorTarget
	if t == nil {
		return nil
	}
	m := &Mirror{Location: "/_atrium_mirror|" + ingressID(ns, name), URL: t.URL, RequestURI: t.RequestURI, HasPath: t.HasPath,
		Host: t.Host, RequestBody: true}
	if s.MirrorHost != nil {
		m.Host = *s.MirrorHost
	}
	if s.MirrorRequestBody != nil {
		m.RequestBody = *s.MirrorRequestBody
	}
	return m
}

// serverMirrors lists the mirror locations a server's locations use.
func serverMirrors(locs []Location) []Mirror {
	seen := map[string]bool{}
	var out []Mirror
	for _, l := range locs {
		proxied := l.Redirect == nil && (l.Upstream != "" || l.DefaultUpstream != "")
		if !proxied || l.Mirror == nil || seen[l.Mirror.Location] {
			continue
		}
		seen[l.Mirror.Location] = true
		out = append(out, *l.Mirror)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return out
}

func hasMirrors(servers []Server) bool {
	for _, srv := range servers {
		if len(srv.Mirrors) > 0 {
			return true
		}
	}
	return false
}
