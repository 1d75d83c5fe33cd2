# Every target runs the project's pinned Node.js (the devDependency node@24), never the machine's own.
NODE := node_modules/.bin/node
BIN := node_modules/.bin
TEST_FLAGS ?= --test-reporter=spec
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install check lint typecheck format test test-unit test-integration test-e2e manifests \
	controlplane controlplane-up controlplane-down dev dev-up dev-down bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
install: node_modules/.package-lock.json ## install dependencies from the lockfile

check: lint typecheck ## lint, format check and type check
lint: install
	$(BIN)/biome check .
typecheck: install
	$(BIN)/tsc --noEmit -p .
format: install ## rewrite files in the project's format
	$(BIN)/biome check --write .

manifests: install ## regenerate config/crd from the schema in src/api
	$(NODE) scripts/manifests.ts

test: test-unit test-integration test-e2e ## all tests (builds the local control plane on first use)
test-unit: install
	$(NODE) --test $(TEST_FLAGS) 'test/unit/**/*.test.ts'
test-integration: install controlplane
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-global-setup=test/integration/global-setup.ts 'test/integration/**/*.test.ts'
test-e2e: install controlplane
	$(NODE) --test $(TEST_FLAGS) --test-concurrency=1 --test-global-setup=test/integration/global-setup.ts 'test/e2e/**/*.test.ts'

controlplane: ## build (once, cached by version) kube-apiserver, kube-controller-manager, kubectl and etcd
	bash test/controlplane/build.sh >/dev/null
controlplane-up: install controlplane ## start etcd + kube-apiserver + kube-controller-manager; writes .local/kubeconfig
	$(NODE) test/controlplane/cli.ts up
controlplane-down: install ## stop the local control plane
	$(NODE) test/controlplane/cli.ts down

dev: install controlplane ## control plane + operator + samples, in the foreground until Ctrl-C
	$(NODE) scripts/dev.ts
dev-up: install controlplane ## the same, detached
	$(NODE) scripts/dev.ts --detach
dev-down: install ## stop what dev-up started
	$(NODE) scripts/dev.ts --down

bench: install controlplane ## benchmarks; results in bench/results/
	$(NODE) bench/run.ts
