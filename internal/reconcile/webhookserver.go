package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/atrium-ingress/atrium/internal/nginxconf"
	"github.com/atrium-ingress/atrium/internal/webhook"
)

// startWebhook serves the validating admission webhook over TLS until ctx
// ends. The certificate is re-read when its file changes, so a rotated
// certificate (cert-manager, say) needs no restart.
func startWebhook(ctx context.Context, o Options, snapshot func(context.Context) (nginxconf.Snapshot, error), core nginxconf.Options, log *slog.Logger) error {
	kp := &keyPair{cert: o.ValidatingWebhookCertificate, key: o.ValidatingWebhookKey}
	if _, err := kp.get(nil); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/validate", &webhook.Handler{Snapshot: snapshot, Options: core})
	srv := &http.Server{
		Addr: o.ValidatingWebhook, Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: kp.get},
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		log.Info("validating webhook serving", "addr", o.ValidatingWebhook)
		if err := srv.ListenAndServeTLS("", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("validating webhook stopped", "err", err)
		}
	}()
	return nil
}

// keyPair loads a certificate and key, again whenever the files change.
type keyPair struct {
	cert, key string
	mu        sync.Mutex
	loaded    *tls.Certificate
	stamp     time.Time
}

func (k *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, err := os.Stat(k.cert)
	if err != nil {
		return nil, err
	}
	if k.loaded != nil && !st.ModTime().After(k.stamp) {
		return k.loaded, nil
	}
	c, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		return nil, err
	}
	k.loaded, k.stamp = &c, st.ModTime()
	return k.loaded, nil
}
