# syntax=docker/dockerfile:1
# Atrium's images (BuildKit, the default builder since Docker 23, is needed
# for RUN --mount). The default target (the last stage) is the controller:
#   docker build -t ghcr.io/atrium-ingress/atrium:dev .
# The e2e suite's backend on a real cluster (make e2e-kind):
#   docker build --target echo -t atrium-echo:dev .

# ---- build: static Go binaries ----
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: static binaries that need nothing from the runtime image;
# -trimpath: no build-machine paths in them.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/controller ./cmd/controller \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/echoserver ./test/echoserver

# ---- echo: the echoserver backend for e2e tests on a real cluster ----
FROM debian:bookworm-slim AS echo
COPY --from=build /out/echoserver /usr/local/bin/echoserver
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/echoserver"]

# ---- controller: the controller, Debian's nginx and its modules ----
FROM debian:bookworm-slim AS controller
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# For the build only (an ARG does not persist into the image).
ARG DEBIAN_FRONTEND=noninteractive
# The unprivileged user the pods run as (runAsUser: 101 in deploy/). Create
# it before any package, so no package's system user can take uid 101.
RUN groupadd --system --gid 101 atrium \
 && useradd --system --uid 101 --gid 101 --home-dir /var/lib/atrium --no-create-home \
      --shell /usr/sbin/nologin atrium
# Exactly the packages in hack/packages.txt, the list hack/setup.sh also
# installs for local runs (test/deploy checks that both read it).
# policy-rc.d keeps the nginx package from trying to start a system nginx.
COPY hack/packages.txt /tmp/packages.txt
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && xargs apt-get install -y --no-install-recommends < <(grep -v '^#' /tmp/packages.txt | sed '/^[[:space:]]*$/d') \
 && rm -f /usr/sbin/policy-rc.d /tmp/packages.txt \
 && rm -rf /var/lib/apt/lists/*
# Binding ports 80 and 443 as uid 101 needs CAP_NET_BIND_SERVICE in nginx's
# effective set. The pods run with allowPrivilegeEscalation: false, which
# sets no_new_privs, and under no_new_privs an exec may not gain a
# capability the calling process did not already have as permitted.
# The controller starts as a non-root entrypoint, so it gets no
# capabilities unless its own file grants them, and nginx then could not
# get the capability either. So:
#   - /usr/sbin/nginx gets it permitted and effective (+ep), which is what
#     makes bind() work;
#   - the controller binary gets it permitted only (+p). That carries it to
#     nginx without using it, and because it is not effective, exec still
#     works in containers that drop every capability (the default backend
#     runs this same binary), where the kernel silently grants nothing.
# The container must still add NET_BIND_SERVICE (deploy/controller.yaml).
# setcap runs in this stage because COPY does not reliably keep the
# security.capability attribute. The binary is installed from a bind mount,
# so the image holds it once, with its capability. libcap2-bin (setcap) is
# only marked auto-installed afterwards, never purged: nginx depends on it
# through iproute2, and purging it would remove nginx too. autoremove drops
# it only if nothing needs it.
RUN --mount=type=bind,from=build,source=/out,target=/mnt/out \
    apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && install -m 0755 /mnt/out/controller /usr/local/bin/controller \
 && setcap cap_net_bind_service=+ep /usr/sbin/nginx \
 && setcap cap_net_bind_service=+p /usr/local/bin/controller \
 && setcap -v cap_net_bind_service=+ep /usr/sbin/nginx \
 && setcap -v cap_net_bind_service=+p /usr/local/bin/controller \
 && apt-mark auto libcap2-bin \
 && apt-get autoremove -y --purge \
 && rm -rf /var/lib/apt/lists/*
# --nginx-dir in deploy/ (an emptyDir there; owned by the user for
# `docker run` without volumes).
RUN install -d -o atrium -g atrium -m 0750 /var/lib/atrium
USER 101:101
WORKDIR /var/lib/atrium
EXPOSE 80 443 10254
ENTRYPOINT ["/usr/local/bin/controller"]
