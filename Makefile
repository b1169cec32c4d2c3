# Each target is a thin wrapper over cargo or a script. Versions of everything downloaded or
# built (Kubernetes, etcd, moto) are pinned in versions.env.
SHELL := bash
CARGO ?= cargo

.PHONY: demo test emulator-test unit lint crds envtest localenv localenv-down bench

## demo: local API server + AWS emulator + the controller, AccuNode (stack in its own network, database, cache) applied, watched until Ready, with a tour
demo:
	scripts/demo.sh

## test: every tier: unit, the AWS adapter against moto, the controller against a real API server + moto; the emulator's own tests
test: envtest emulator-test
	RUST_TEST_THREADS=$${RUST_TEST_THREADS:-8} $(CARGO) test --workspace --all-targets

## emulator-test: the AWS emulator's own tests (tests/emulator: moto plus the project's extensions)
emulator-test:
	venv=$$(scripts/localenv.sh install-venv) && \
	  PYTHONDONTWRITEBYTECODE=1 "$$venv/bin/python" -m pytest -q -p no:cacheprovider tests/emulator

## unit: the tests that need no servers (tier 1)
unit:
	$(CARGO) test --workspace --lib --bins --test crds_up_to_date

## lint: formatting and clippy with warnings denied
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## crds: regenerate crds/ from the Rust types (a test fails while crds/ is stale)
crds:
	$(CARGO) run -q -p stackwright -- crds > crds/stackwright.yaml

## envtest: build kube-apiserver, kubectl and etcd from Go modules (once, cached) and the moto venv
envtest:
	scripts/localenv.sh install

## localenv: start etcd + kube-apiserver + moto on free loopback ports, state in .localenv/
localenv:
	scripts/localenv.sh up
	@echo
	@echo "Use it with:  . .localenv/env   (then e.g. kubectl get ns; AWS calls go to \$$AWS_ENDPOINT_URL)"
	@echo "Stop it with: make localenv-down"

localenv-down:
	scripts/localenv.sh down

## bench: 1,000 Buckets (time to Ready, calls, steady-state request rate, new-object latency, memory), faults; 200 Databases + 200 Caches (time to Ready, calls per object, reads per resync, memory); 100 AccuNode-shaped AppStacks with their Databases and Caches (time to Ready, calls and status writes per stack, reads per resync, memory); plan() throughput
bench: envtest
	$(CARGO) bench -p stackwright-controller --bench plan
	$(CARGO) bench -p stackwright --bench converge
	$(CARGO) bench -p stackwright --bench data
	$(CARGO) bench -p stackwright --bench stacks
