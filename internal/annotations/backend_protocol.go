package annotations

import (
	"fmt"
	"strings"
)

func init() {
	register(Def{
		Key:   "backend-protocol",
		Scope: ScopeLocation,
		Risk:  RiskLow,
		Doc: "Protocol to the endpoints: `HTTP` (default), `HTTPS` (TLS; without `proxy-ssl-*` the certificate is not verified and no SNI is sent, as in ingress-nginx), " +
			"`GRPC` (gRPC over cleartext HTTP/2) or `GRPCS` (gRPC over TLS); case-insensitive. gRPC clients must reach Atrium " +
			"over HTTPS with HTTP/2 (nginx 1.22 offers no cleartext HTTP/2 on the HTTP port). `AJP`, `FCGI` and `AUTO_HTTP` are not supported.",
		Parse: func(value string, s *Set) error {
			v := strings.ToUpper(strings.TrimSpace(value))
			switch v {
			case "HTTP", "HTTPS", "GRPC", "GRPCS":
				s.BackendProtocol = &v
				return nil
			case "AJP", "FCGI", "AUTO_HTTP":
				return fmt.Errorf("%q is not supported by Atrium (HTTP, HTTPS, GRPC or GRPCS)", value)
			}
			return fmt.Errorf("%q is not HTTP, HTTPS, GRPC or GRPCS", value)
		},
	})
}
