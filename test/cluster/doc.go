// Package cluster is "a cluster in a box" for e2e tests, the demo and
// benchmarks: a real etcd + kube-apiserver on loopback ports (no kubelet, no
// controller-manager, no Docker), and emulated pods, each an echoserver
// process in its own network namespace on a Linux bridge, addressed from
// 198.18.0.0/15 so that their addresses are valid in EndpointSlices.
//
// Because nothing runs the EndpointSlice controller, tests publish endpoints
// themselves with SyncEndpoints. That makes endpoint churn explicit and
// deterministic: scaling a Service up or down, or marking a pod not ready or
// terminating, is just another SyncEndpoints call with a different list.
//
// Emulated pods need root and network namespaces; the functions that need
// them return an error saying so rather than skipping, so a misconfigured CI
// fails loudly instead of silently testing nothing.
package cluster
