# Entry points; each is one command of the README. Run as root (the lab makes namespaces and links).
.PHONY: test sanity bench bench-scale demo demo-down

LAB ?= .lab
VENV ?= .venv
LAB_ARGS = -i $(LAB)/inventory.yml -e @$(LAB)/extra-vars.yml

# Every test, on a fresh machine too: installs what it needs first.
test:
	tests/run

sanity:
	tests/sanity.sh "$(CURDIR)/$(VENV)/bin/python"

# Figures for the edit modules: remote executions per task and controller time per edit.
bench:
	$(VENV)/bin/python tests/bench/edit_bench.py

# Figures for site.yml at scale: first run and re-run with 1 and WORKERS workers, seconds per added node.
WORKERS ?= 20
bench-scale:
	$(VENV)/bin/python tests/bench/scale_bench.py --workers 1,$(WORKERS)

# The main job on the built-in lab: boot the cluster (a kubeadm control plane, a worker joined by kubeadm, a
# CNI, a registry, two containerd-only nodes and Jaeger), run site.yml, ask the seed's question with the real
# kubectl (`kubectl create deployment demo --image=httpd --port=80`), wait for the pod and fetch its page,
# pull the same image on the containerd-only nodes, and show with verify.yml which services sent spans.
# `make demo-down` stops the lab, also after a failed step.
demo:
	tests/setup.sh --demo
	$(VENV)/bin/python tests/lab/scenario.py up $(LAB)
	$(VENV)/bin/ansible-playbook site.yml $(LAB_ARGS)
	$(VENV)/bin/python tests/lab/seed.py $(LAB)
	$(VENV)/bin/ansible node1,node3 $(LAB_ARGS) -m ansible.builtin.command \
	  -a "crictl --runtime-endpoint unix:///run/containerd/containerd.sock pull httpd"
	@echo "Giving the kubelet and containerd a few seconds to send their batches of spans..." && sleep 5
	$(VENV)/bin/ansible-playbook playbooks/verify.yml $(LAB_ARGS) \
	  -e '{"kubetrace_verify_services": ["apiserver", "etcd", "kubelet", "containerd"]}'
	@echo
	@echo "The cluster answers the lab's kubectl:  export KUBECONFIG=$(abspath $(LAB))/kubeconfig PATH=$(abspath $(LAB))/bin:\$$PATH"
	@echo "Jaeger runs on jaeger1; its query API and UI listen on the node's loopback. To look at the traces:"
	@echo "  ssh -F $(LAB)/ssh_config -L 16686:127.0.0.1:16686 jaeger1    # then, on this machine:"
	@echo "  curl -s http://127.0.0.1:16686/api/v3/services"
	@echo "  curl -s 'http://127.0.0.1:16686/api/v3/traces?query.service_name=kubelet&query.num_traces=20&query.start_time_min=$$(date -u -d '-15 min' +%FT%TZ)&query.start_time_max=$$(date -u +%FT%TZ)'"
	@echo "Stop the lab with: make demo-down"

demo-down:
	$(VENV)/bin/python tests/lab/scenario.py down $(LAB)
