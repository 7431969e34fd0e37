package zaplog

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"

	"go.uber.org/zap"

	"github.com/authgate/authgate/session/sessionhttp"
)

// NewAdminAudit returns the audit log of the admin API: one info line per
// admin call that changed state, on the logger authgate.audit (named
// below the app's logger), so operators can route it by that name. A line
// says who (the admin peer's address, the admin listener's address, and
// the client certificate's subject and fingerprint when the admin
// listener requires one), what (action) and which ids; the admin API
// never hands it a token or a claim's value.
func NewAdminAudit(l *zap.Logger) sessionhttp.Audit {
	s := l.Named("audit").Sugar()
	return func(r *http.Request, action string, kv ...any) {
		who := []any{"action", action, "admin_peer", r.RemoteAddr}
		if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			who = append(who, "admin_listener", addr.String())
		}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			cert := r.TLS.PeerCertificates[0]
			sum := sha256.Sum256(cert.Raw)
			who = append(who, "admin_client", cert.Subject.String(), "admin_client_sha256", hex.EncodeToString(sum[:]))
		}
		s.Infow("authgate admin action", append(who, kv...)...)
	}
}
