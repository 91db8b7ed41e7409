# reconcile — build, run and test. Works on a fresh Debian machine as root:
#   make run    install what is missing, build the demo images, run `reconcile up` on the demo repo
#   make test   install what is missing and run every test, end to end included
SHELL := /bin/bash
GO ?= go
# The Podman bindings need these tags; every go command here uses them.
export GOFLAGS := -tags=remote,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper,containers_image_openpgp
export CONTAINERS_CONF := $(CURDIR)/agent/containers.conf

BIN      := bin/reconcile
AGENT_BIN := bin/reconcile-agent
DATA     ?= $(CURDIR)/.data
DEMO     ?= $(DATA)/demo-repo
PKGS     ?= ./...
TESTARGS ?=

.PHONY: all setup setup-test images build run demo-repo test test-short bench bench-memory vet fmt clean

all: build

# setup installs the host packages the product needs (podman, runc, iptables, nft,
# git, iproute2, util-linux), only when one is missing, so it is quick on a
# machine that has them.
setup:
	@missing=""; \
	for c in podman:podman runc:runc iptables:iptables nft:nftables git:git ip:iproute2 nsenter:util-linux; do \
	  command -v $${c%%:*} >/dev/null 2>&1 || missing="$$missing $${c#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing containernetworking-plugins >/dev/null; \
	fi
	@command -v $(GO) >/dev/null || { echo "setup: Go is required (https://go.dev/dl/)"; exit 1; }

# setup-test adds what the end-to-end tests drive beside the product: curl,
# setpriv, docker-registry (private registries), Prometheus and promtool
# (metrics), kubectl (Debian's kubernetes-client; any kubectl on PATH will do),
# Chromium (the web UI's browser tests) and etcd (Debian's etcd-server 3.4:
# the store's etcd engine against an external etcd).
setup-test: setup
	@missing=""; \
	for c in setpriv:util-linux curl:curl docker-registry:docker-registry prometheus:prometheus promtool:prometheus kubectl:kubernetes-client chromium:chromium etcd:etcd-server; do \
	  command -v $${c%%:*} >/dev/null 2>&1 || missing="$$missing $${c#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup-test: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# images builds the demo image localhost/reconcile-hello:v1 and :v2 (a FROM
# scratch image holding a static Go binary; no registry is needed).
images: setup
	@mkdir -p bin/hello-image
	@for v in v1 v2; do \
	  CGO_ENABLED=0 GOFLAGS= $(GO) build -trimpath -ldflags "-s -w -X main.version=$$v" -o bin/hello-image/hello ./examples/hello && \
	  cp examples/hello/Containerfile bin/hello-image/ && \
	  podman build -q -t localhost/reconcile-hello:$$v bin/hello-image >/dev/null && echo "images: localhost/reconcile-hello:$$v"; \
	done

# The agent reports this version as its node's VERSION (reconcile get nodes).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

# build makes the product binary (controller, agent, CLI) and the node
# binary reconcile-agent (agent and join only: what a node installs).
build:
	$(GO) build -ldflags "-X github.com/reconcile-dev/reconcile/agent.buildVersion=$(VERSION)" -o $(BIN) ./cmd/reconcile
	$(GO) build -ldflags "-X github.com/reconcile-dev/reconcile/agent.buildVersion=$(VERSION)" -o $(AGENT_BIN) ./cmd/reconcile-agent

# demo-repo makes a git repository of examples/demo to deploy from, once.
demo-repo:
	@if [ ! -d $(DEMO)/.git ]; then \
	  mkdir -p $(DEMO) && cp -r examples/demo/. $(DEMO)/ && \
	  git -C $(DEMO) init -q -b main && git -C $(DEMO) add -A && \
	  git -C $(DEMO) -c user.name=reconcile -c user.email=reconcile@localhost commit -qm "demo: initial desired state" && \
	  echo "demo-repo: created $(DEMO) (edit, git commit, watch the containers follow)"; \
	fi

run: setup images build demo-repo
	$(BIN) up --repo $(DEMO) --data $(DATA)/state

test: setup-test images
	$(GO) test -count=1 -timeout 30m $(TESTARGS) $(PKGS)

# test-short runs only the pure and in-process tests (no Podman, no iptables).
test-short:
	$(GO) test -short -count=1 $(PKGS)

bench: setup-test images
	$(GO) test -run '^$$' -bench . -benchmem -count 1 $(PKGS)

# bench-scale is issue 13's scale benchmark (reconcile bench scale): a controller and
# simulated nodes at each size, JSON and plots into docs/ (scale-*; the plots by
# cmd/reconcile-plot, kept out of the product binary). Heavy: not
# part of test or bench. SCALE_SIZES=100,500 make bench-scale for a part.
SCALE_SIZES ?= 100,500,1000,2000,5000
SCALE_ARGS  ?=
.PHONY: bench-scale
bench-scale: build
	$(BIN) bench scale --sizes $(SCALE_SIZES) --out docs/scale-result.json $(SCALE_ARGS)
	$(GO) run ./cmd/reconcile-plot --plots docs docs/scale-result.json

# bench-memory: the controller's RSS with 20 simulated nodes and 1,000 pods,
# and a real agent's (the node binary) with 0 and 30 pods (BENCHMARKS.md, issue 13: memory).
.PHONY: bench-memory
bench-memory: images build
	agent/hollow/measure-memory.sh controller 20 100 10
	AGENT_BIN=$(AGENT_BIN) agent/hollow/measure-memory.sh agent 30

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
