// Package deploy tests the installation manifests in deploy/ and the
// Dockerfile. It has only tests:
//
//   - every manifest, the DaemonSet variant included, passes a server-side
//     dry run against the local control plane (test/cluster), and the
//     pods pass Pod Security admission at the level their namespace sets;
//   - the kustomizations list every manifest, and the manifests agree with
//     the controller: flags parse, probes and ports match the flag
//     defaults, the grace period covers draining, and the Lease name matches
//     the Role;
//   - deploy/rbac.yaml grants the controller's ServiceAccount what it needs
//     and nothing more. Real calls made with its token must succeed or be
//     Forbidden;
//   - the Dockerfile installs exactly hack/packages.txt, the same list
//     hack/setup.sh installs.
//
// The e2e suite (test/e2e) also runs the controller under that
// ServiceAccount, which proves that the permissions are enough in practice.
package deploy
