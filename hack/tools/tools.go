//go:build tools

// Package tools pins the control-plane binaries the tests run. kube-apiserver
// is built straight from k8s.io/kubernetes/cmd/kube-apiserver; etcd from the
// three-line main in ./etcd.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
