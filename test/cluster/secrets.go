package cluster

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeServiceAccountKey writes a fresh RSA private key. The apiserver uses
// it both to sign TokenRequest tokens and (via the public half it derives)
// to verify them, which is what lets RBAC tests act as a ServiceAccount.
func writeServiceAccountKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600)
}

// randomToken returns 32 random hex characters.
func randomToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// writeTokenFile makes token authenticate as user "admin" in system:masters,
// the group RBAC lets do everything without any binding existing yet.
func writeTokenFile(path, token string) error {
	line := fmt.Sprintf("%s,admin,admin,\"system:masters\"\n", token)
	return os.WriteFile(path, []byte(line), 0o600)
}

// writeKubeconfig writes cfg (host, CA data, bearer token) as a kubeconfig
// so that kubectl, the controller binary and the demo can use the cluster.
func writeKubeconfig(path string, cfg *rest.Config) error {
	const name = "atrium-test"
	kc := clientcmdapi.Config{
		Clusters: map[string]*clientcmdapi.Cluster{name: {
			Server:                   cfg.Host,
			CertificateAuthorityData: cfg.CAData,
		}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"admin": {Token: cfg.BearerToken}},
		Contexts:       map[string]*clientcmdapi.Context{name: {Cluster: name, AuthInfo: "admin", Namespace: "default"}},
		CurrentContext: name,
	}
	return clientcmd.WriteToFile(kc, path)
}
