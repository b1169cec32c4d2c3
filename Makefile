.PHONY: localenv localenv-down envtest

# A local etcd + kube-apiserver + moto on free loopback ports, state in .localenv/.
localenv:
	scripts/localenv.sh up
	@echo
	@echo "Use it with:  . .localenv/env   (then e.g. kubectl get ns; aws ... uses \$$AWS_ENDPOINT_URL)"
	@echo "Stop it with: make localenv-down"

localenv-down:
	scripts/localenv.sh down

# The pinned kube-apiserver, kubectl, etcd (built once into the cache) and the moto venv.
envtest:
	scripts/localenv.sh install
