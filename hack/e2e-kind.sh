#!/usr/bin/env bash
# make e2e-kind: runs the e2e suite (test/e2e) against Atrium installed from
# deploy/ in a kind cluster, the way a user would install it. This is not
# part of `make test` and needs Docker, kind (v0.20 or later), kubectl, curl
# and Go. It:
#   1. creates a one-node kind cluster whose ports 80/443 are published on
#      127.0.0.1:18080/18443 (or reuses one of the same name);
#   2. builds the controller and echo images from the Dockerfile and loads
#      them into the cluster;
#   3. applies deploy/ through a small overlay (the local image, 1 replica:
#      one node cannot hold two hostNetwork replicas) and waits for rollout;
#   4. runs `go test ./test/e2e/` with the suite's real-cluster variables.
# Extra arguments go to `go test`, e.g. hack/e2e-kind.sh -run TestTLS.
# Environment: KIND_CLUSTER_NAME (atrium-e2e), KEEP_CLUSTER=1 to keep the
# cluster afterwards (a reused cluster is always kept), E2E_HTTP_PORT
# (18080), E2E_HTTPS_PORT (18443).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

cluster=${KIND_CLUSTER_NAME:-atrium-e2e}
http_port=${E2E_HTTP_PORT:-18080}
https_port=${E2E_HTTPS_PORT:-18443}
# Local tags, loaded into kind and never pushed.
image=atrium:e2e
echo_image=atrium-echo:e2e

say() { echo "e2e-kind: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in docker kind kubectl curl go; do
  command -v "$tool" >/dev/null || die "$tool is not installed; make e2e-kind needs docker, kind, kubectl, curl and go"
done
docker info >/dev/null 2>&1 || die "cannot reach the Docker engine: is it running, and may $(id -un) use it?"

# kustomize accepts only relative paths to a base, so the overlay lives in
# the (git-ignored) .cache/ next to deploy/.
work="$root/.cache/e2e-kind"
rm -rf "$work"
mkdir -p "$work/overlay"
kubeconfig="$work/kubeconfig"

created=0
diagnose() {
  say "diagnostics:"
  kubectl get nodes,pods -A -o wide >&2 || true
  kubectl -n atrium-system describe pods >&2 || true
  kubectl -n atrium-system logs deployment/atrium-controller --tail=100 >&2 || true
}
finish() {
  local rc=$?
  if [[ $rc -ne 0 && -s $kubeconfig ]]; then diagnose; fi
  if [[ $created == 1 && ${KEEP_CLUSTER:-0} != 1 ]]; then
    say "deleting kind cluster $cluster (KEEP_CLUSTER=1 keeps it)"
    kind delete cluster --name "$cluster" >&2 || true
  fi
  exit "$rc"
}
trap finish EXIT

# 1. The cluster.
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  say "reusing kind cluster $cluster (its port mappings must be $http_port/$https_port)"
else
  cat > "$work/kind.yaml" <<EOF
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    labels:
      ingress-ready: "true"
    extraPortMappings:
      - containerPort: 80
        hostPort: $http_port
        listenAddress: 127.0.0.1
        protocol: TCP
      - containerPort: 443
        hostPort: $https_port
        listenAddress: 127.0.0.1
        protocol: TCP
EOF
  say "creating kind cluster $cluster"
  created=1
  kind create cluster --name "$cluster" --config "$work/kind.yaml" --wait 120s
fi
kind get kubeconfig --name "$cluster" > "$kubeconfig"
export KUBECONFIG=$kubeconfig

# 2. The images.
say "building $image and $echo_image"
docker build --target controller -t "$image" .
docker build --target echo -t "$echo_image" .
kind load docker-image --name "$cluster" "$image" "$echo_image"

# 3. Install deploy/ with the local image and one replica, on the node
#    whose ports are published.
cat > "$work/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../../deploy
images:
  - name: ghcr.io/atrium-ingress/atrium
    newName: ${image%:*}
    newTag: ${image##*:}
replicas:
  - name: atrium-controller
    count: 1
patches:
  - target:
      kind: Deployment
      name: atrium-controller
    patch: |-
      - op: add
        path: /spec/template/spec/nodeSelector/ingress-ready
        value: "true"
EOF
say "installing deploy/ (kubectl apply -k)"
kubectl apply -k "$work/overlay"
kubectl -n atrium-system rollout status deployment/atrium-default-backend --timeout=180s
kubectl -n atrium-system rollout status deployment/atrium-controller --timeout=300s

# The published port answers once nginx runs: the default backend's 404.
for i in $(seq 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/" || true)
  [[ $code == 404 ]] && break
  [[ $i == 60 ]] && die "http://127.0.0.1:$http_port/ answers '$code', want the default backend's 404"
  sleep 1
done

# 4. The suite, against the installed controller.
say "running the e2e suite against kind cluster $cluster"
ATRIUM_E2E_KUBECONFIG=$kubeconfig \
ATRIUM_E2E_HTTP=127.0.0.1:$http_port \
ATRIUM_E2E_HTTPS=127.0.0.1:$https_port \
ATRIUM_E2E_ECHO_IMAGE=$echo_image \
  go test -count=1 -timeout 30m -v ./test/e2e/ "$@"
