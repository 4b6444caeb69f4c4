# Atrium's entry points. `make run` and `make test` install what they need
# (hack/setup.sh: Debian's nginx and modules, the control-plane binaries).
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
# The e2e and cluster tests start real processes and network namespaces;
# keep their parallelism modest on 2-core machines.
TEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: all build tools setup run test unit e2e e2e-kind lint bench clean check-root

all: build

build:
	$(GO) build -o $(BIN)/controller ./cmd/controller
	$(GO) build -o $(BIN)/echoserver ./test/echoserver
	$(GO) build -o $(BIN)/atrium-dev ./cmd/atrium-dev

tools:
	bash hack/build-tools.sh

setup: check-root
	bash hack/setup.sh

check-root:
	@if [[ $$(id -u) -ne 0 ]]; then echo "Atrium's demo and tests need root (apt-get, network namespaces for emulated pods): run as root, e.g. sudo make $(MAKECMDGOALS)" >&2; exit 1; fi

# The local demo: control plane, emulated pods, sample Ingresses, controller, nginx.
run: setup build
	$(GO) run ./hack/demo

# Unit, golden and e2e tests against the local control plane and a real nginx.
test: setup build lint
	$(GO) test $(TEST_FLAGS) ./...
	# Bounded runs of the injection fuzzers (their seeds already ran above).
	# Bounded by count, not time: a duration -fuzztime races Go's fuzz
	# coordinator (golang/go#75804, fixed in Go 1.27) and fails with
	# "context deadline exceeded" on a busy machine with no crasher.
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime 15000x -fuzzminimizetime 200x -timeout 10m ./internal/nginxconf/
	$(GO) test -run '^$$' -fuzz '^FuzzHeaderValues$$' -fuzztime 3000x -fuzzminimizetime 200x -timeout 10m ./internal/nginxconf/

unit:
	$(GO) test -count=1 ./internal/...

e2e: setup build
	$(GO) test $(TEST_FLAGS) -v ./test/e2e/...

# The e2e suite against Atrium installed from deploy/ in a kind cluster
# (needs Docker, kind >= v0.20, kubectl, curl; not part of `make test`).
e2e-kind:
	bash hack/e2e-kind.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The four workloads against the hand-written nginx limit, and the core
# benchmarks (see bench/README.md). About 6.5 minutes on 2 cores (12 with setup on a fresh machine).
bench: setup build
	$(GO) run ./bench

clean:
	rm -rf $(BIN)
