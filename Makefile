# Every target runs the project's pinned Node.js (the devDependency node@24), never the machine's own.
NODE := node_modules/.bin/node
BIN := node_modules/.bin
TEST_FLAGS ?= --test-reporter=spec
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.DEFAULT_GOAL := help
IMG ?= hourglass-k8s:dev
PERFORMER_IMG ?= hourglass-example-performer:dev
KIND_CLUSTER ?= hourglass
KUBECTL ?= kubectl
CERT_MANAGER_VERSION ?= $(shell sed -n 's/^CERT_MANAGER_VERSION=//p' test/controlplane/versions.env)

.PHONY: help install check lint typecheck doc-comments format test test-unit test-coverage test-integration test-e2e manifests \
	test-deploy grpcurl pprof controlplane controlplane-up controlplane-down dev dev-up dev-down bench bench-scale soak \
	docker-build kind-create kind-load cert-manager-check deploy undeploy deploy-samples \
	image image-load cluster-up cluster-down cert-manager-build cert-manager-local deploy-local deploy-samples-local undeploy-local

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

# npm run by the machine's older Node skips optional packages that need Node >= 22 (EDR's native binding, which the
# tests' local EVM needs) and exits 0; a second pass with the pinned Node first on PATH brings them in.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	npm install --no-audit --no-fund --no-save
	test -d node_modules/@nomicfoundation/edr-linux-x64-gnu
install: node_modules/.package-lock.json ## install dependencies from the lockfile

check: lint typecheck doc-comments ## lint, format check, type check, and a doc comment on every exported declaration
lint: install
	$(BIN)/biome check .
typecheck: install
	$(BIN)/tsc --noEmit -p .
doc-comments: install
	$(NODE) scripts/check-doc-comments.ts
format: install ## rewrite files in the project's format
	$(BIN)/biome check --write .

manifests: install ## regenerate config/crd and config/webhook/manifests.yaml from the code, and charts/hourglass from config/
	$(NODE) scripts/manifests.ts

# The unit tests' coverage of the code may not fall below these (measured 2026-12-02: lines
# 88.28 %, branches 91.50 %, functions 87.53 %); raise them as coverage grows.
COVERAGE_FLOOR := --test-coverage-lines=88 --test-coverage-branches=91 --test-coverage-functions=87
COVERAGE_OF := --test-coverage-include='src/**' --test-coverage-include='controllers/**' --test-coverage-include='webhooks/**'

# One tier after another (the node tiers take the machine's node lock in turn); test-deploy, the slowest, last.
test: test-coverage test-integration test-e2e test-deploy ## all tests (builds the local cluster, cert-manager and the images on first use)
test-unit: install pprof
	$(NODE) --test $(TEST_FLAGS) 'test/unit/**/*.test.ts'
test-coverage: install pprof ## the unit tests, failing when their coverage of src/, controllers/, webhooks/ is below the floor
	$(NODE) --test $(TEST_FLAGS) --experimental-test-coverage $(COVERAGE_OF) $(COVERAGE_FLOOR) 'test/unit/**/*.test.ts'
test-integration: install controlplane grpcurl pprof
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-global-setup=test/integration/global-setup.ts 'test/integration/**/*.test.ts'
# The builds come first, so that none of them runs while the test's cluster holds the node.
test-deploy: install controlplane cert-manager-build image ## make deploy-local and deploy-samples-local on a cluster of its own: failover, certificate renewal, a task, undeploy, cluster-down
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 'test/deploy/**/*.test.ts'
test-e2e: install controlplane pprof
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-global-setup=test/integration/global-setup.ts 'test/e2e/**/*.test.ts'

# Go 1.24 and later build `go tool pprof` on its first use (half a minute, minutes under load); building it here
# keeps that out of the tests that read profiles with it, whose time limits would count it.
pprof: ## build Go's pprof tool into Go's cache unless it is there
	@go tool pprof -h >/dev/null 2>&1
grpcurl: ## install grpcurl (the guide's gRPC client, pinned in versions.env) into Go's bin directory unless it is there
	@[ -x "$$(go env GOPATH)/bin/grpcurl" ] || \
	  go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$$(sed -n 's/^GRPCURL_VERSION=//p' test/controlplane/versions.env)"
controlplane: ## build (once, cached by version) the local cluster: control plane, kubelet, kube-proxy, containerd, CoreDNS
	bash test/controlplane/node-packages.sh
	bash test/controlplane/build.sh >/dev/null
controlplane-up: install controlplane ## start etcd + kube-apiserver + kube-controller-manager; writes .local/kubeconfig
	$(NODE) test/controlplane/cli.ts up
controlplane-down: install ## stop the local control plane
	$(NODE) test/controlplane/cli.ts down

dev: install $(if $(filter docker,$(MODE)),,controlplane) ## control plane + node + operator + samples + executor, in the foreground until Ctrl-C (MODE=docker: executor + performer containers through podman, no cluster)
	$(NODE) scripts/dev.ts $(if $(MODE),--mode=$(MODE))
dev-up: install $(if $(filter docker,$(MODE)),,controlplane) ## the same, detached
	$(NODE) scripts/dev.ts --detach $(if $(MODE),--mode=$(MODE))
dev-down: install ## stop what dev-up started, the node's Pods first
	$(NODE) scripts/dev.ts --down

soak: install controlplane ## the fault suite (bounded, ~8 min): kills, restarts, renewals, hostile load; prints a table
	$(NODE) test/soak/run.ts

bench: install controlplane ## benchmarks; results in bench/results/
	$(NODE) bench/run.ts
bench-scale: install controlplane ## reconcile at 500, 2,000 and 5,000 Performers (under 10 minutes); bench/results/
	$(NODE) bench/run.ts scale

# --- A real cluster (kind). These need a Docker engine and the kind CLI; the README's "Deploy to kind" has the order.
docker-build: ## build the operator/executor image and the sample performer's image
	docker build -t $(IMG) .
	docker build -t $(PERFORMER_IMG) -f examples/performer/Dockerfile .
kind-create: ## create the kind cluster $(KIND_CLUSTER) unless it exists
	kind get clusters | grep -qx '$(KIND_CLUSTER)' || kind create cluster --name '$(KIND_CLUSTER)'
kind-load: ## load both images into the kind cluster
	kind load docker-image $(IMG) $(PERFORMER_IMG) --name '$(KIND_CLUSTER)'
cert-manager-check: ## fail with the install command unless cert-manager serves its API
	@$(KUBECTL) get crd certificates.cert-manager.io >/dev/null 2>&1 || { \
	  echo "cert-manager is not installed. Install it, then run make deploy again:"; \
	  echo "  kubectl apply -f https://github.com/cert-manager/cert-manager/releases/download/$(CERT_MANAGER_VERSION)/cert-manager.yaml"; \
	  echo "  kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=180s"; exit 1; }
# A Performer the webhooks admit, for probing them (never stored).
WEBHOOK_PROBE := {"apiVersion":"hourglass.eigenlayer.io/v1alpha1","kind":"Performer","metadata":{"name":"webhook-probe","namespace":"default"},"spec":{"avsAddress":"0x1234567890abcdef1234567890abcdef12345678","image":"webhook-probe","version":"0"}}
deploy: cert-manager-check ## install CRD, RBAC, webhooks, certificates and the operator; wait for the rollout
	$(KUBECTL) kustomize config/default | sed 's|image: hourglass-k8s:dev|image: $(IMG)|' | $(KUBECTL) apply --server-side -f -
	$(KUBECTL) -n hourglass-system wait --for=condition=Ready certificate/hourglass-serving-cert --timeout=120s
	$(KUBECTL) -n hourglass-system rollout status deployment/hourglass-operator --timeout=180s
	@# Ready Pods are not yet a Service the apiserver reaches (its endpoints reach kube-proxy a moment later): wait
	@# until the webhooks answer a server-side dry run, which is reviewed and never stored.
	@for i in $$(seq 60); do \
	  echo '$(WEBHOOK_PROBE)' | $(KUBECTL) apply --dry-run=server -f - >/dev/null 2>&1 && echo "webhooks answering" && exit 0; \
	  sleep 1; \
	done; \
	echo "the webhooks did not answer within 60 s:" >&2; echo '$(WEBHOOK_PROBE)' | $(KUBECTL) apply --dry-run=server -f -; exit 1
undeploy: ## remove what deploy installed (Performers go with their CRD)
	$(KUBECTL) kustomize config/default | $(KUBECTL) delete --ignore-not-found -f -
deploy-samples: ## the example AVS (deployment/my-avs-executor + config) in my-avs-project, and a sample Performer
	$(KUBECTL) apply -k config/executor
	$(KUBECTL) apply -k config/samples

# --- The same on the local cluster (no Docker engine, no kind): the README's "Deploy" has the order.
LOCAL_KUBECTL := $(or $(HOURGLASS_LOCAL_DIR),.local)/cluster/kubectl
image: install ## build both images with buildah (no Docker engine), cached by the content of their inputs
	$(NODE) scripts/image.ts
image-load: install ## import both images into the local cluster's containerd (kind-load's twin)
	$(NODE) scripts/image.ts load
cluster-up: install controlplane ## start the local cluster (control plane + node) detached; kubectl: .local/cluster/kubectl
	$(NODE) scripts/cluster.ts up
cluster-down: install ## stop the local cluster; nothing of it stays on the host
	$(NODE) scripts/cluster.ts down
cert-manager-build: ## build (once, cached by version) cert-manager's controller, cainjector and webhook from its Go module
	bash test/controlplane/build-cert-manager.sh >/dev/null
cert-manager-local: install ## build cert-manager from its Go module (cached) and run it in the local cluster
	$(NODE) scripts/cert-manager-local.ts
deploy-local: image-load cert-manager-local ## make deploy, into the local cluster
	$(MAKE) --no-print-directory deploy KUBECTL=$(LOCAL_KUBECTL)
deploy-samples-local: ## make deploy-samples, into the local cluster
	$(MAKE) --no-print-directory deploy-samples KUBECTL=$(LOCAL_KUBECTL)
undeploy-local: ## make undeploy on the local cluster, then cert-manager
	$(LOCAL_KUBECTL) delete --ignore-not-found -k config/samples -k config/executor
	$(MAKE) --no-print-directory undeploy KUBECTL=$(LOCAL_KUBECTL)
	$(NODE) scripts/cert-manager-local.ts --uninstall
