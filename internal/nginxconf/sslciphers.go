package nginxconf

import "strings"

// ssl-ciphers and ssl-prefer-server-ciphers are a host's TLS settings
// (nginx's ssl_ciphers and ssl_prefer_server_ciphers in its server), as in
// ingress-nginx: for each host, the oldest Ingress with a rule for it that
// sets one decides it, and a newer Ingress asking for another value gets a
// HostConflict Event (ingress-nginx took the first silently). nginx applies
// a server's SSL settings only when the server has a certificate of its
// own, so a host with these settings and no certificate of its own names
// the default one (config.go). The catch-all server is left alone: its SSL
// context is also that of every host without a certificate of its own, so
// an Ingress's rule without host would change other Ingresses' hosts.

// hostCiphers records what an Ingress's ssl-ciphers and
// ssl-prefer-server-ciphers ask of one of its rule hosts.
func (b *builder) hostCiphers(sb *serverBuild, in ingressInput) {
	a := in.ann
	if a.failClosed || (a.sslCiphers == "" && a.sslPrefer == "") {
		return
	}
	if sb.host == "" {
		var keys []string
		if a.sslCiphers != "" {
			keys = append(keys, b.annPrefix()+"/ssl-ciphers")
		}
		if a.sslPrefer != "" {
			keys = append(keys, b.annPrefix()+"/ssl-prefer-server-ciphers")
		}
		b.ps.add(in.ref, "metadata.annotations", ReasonIgnoredAnnotation,
			"ignored for the rule without host, whose TLS settings are also those of every host without a certificate of its own: %s",
			strings.Join(keys, ", "))
		return
	}
	conflict := func(key, what string, by *ObjectRef) {
		b.ps.add(in.ref, b.annField(key), ReasonHostConflict,
			"host %q already has the %s of the older Ingress %s; this one is ignored there", sb.host, what, refName(*by))
	}
	if a.sslCiphers != "" {
		switch {
		case sb.sslCiphersBy == nil:
			ref := in.ref
			sb.sslCiphers, sb.sslCiphersBy = a.sslCiphers, &ref
		case sb.sslCiphers != a.sslCiphers && *sb.sslCiphersBy != in.ref:
			conflict("ssl-ciphers", "TLS 1.2 ciphers", sb.sslCiphersBy)
		}
	}
	if a.sslPrefer != "" {
		switch {
		case sb.sslPreferBy == nil:
			ref := in.ref
			sb.sslPrefer, sb.sslPreferBy = a.sslPrefer, &ref
		case sb.sslPrefer != a.sslPrefer && *sb.sslPreferBy != in.ref:
			conflict("ssl-prefer-server-ciphers", "ssl-prefer-server-ciphers "+sb.sslPrefer, sb.sslPreferBy)
		}
	}
}
