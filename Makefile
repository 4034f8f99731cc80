# Entry points; each is one command of the README. Run as root (the lab makes namespaces and links).
.PHONY: test sanity bench bench-scale bench-explain demo demo-down

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

# Figures for explain's join: 100,000 audit lines and 10,000 spans, seconds and peak memory.
bench-explain:
	$(VENV)/bin/python tests/bench/explain_bench.py

# The main job on the built-in lab: boot the cluster (a kubeadm control plane, a worker joined by kubeadm, a
# CNI, a registry, two containerd-only nodes and Jaeger), run site.yml, ask the seed's question with the real
# kubectl (`kubectl create deployment demo --image=httpd --port=80`), wait for the pod and fetch its page,
# pull the same image on the containerd-only nodes, show with verify.yml which services sent spans, and end with
# explain.yml: the same command in a namespace of its own, its flow as a waterfall and as one trace in Jaeger.
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
	@echo "The cluster answers the lab's kubectl:  export KUBECONFIG=$(abspath $(LAB))/kubeconfig PATH=$(abspath $(LAB))/bin:\$$PATH"
	@echo "Jaeger runs on jaeger1; its query API and UI listen on the node's loopback:"
	@echo "  ssh -F $(LAB)/ssh_config -L 16686:127.0.0.1:16686 jaeger1    # then open http://127.0.0.1:16686"
	@echo "Stop the lab with: make demo-down. Now the seed's question, answered:"
	$(VENV)/bin/ansible-playbook playbooks/explain.yml $(LAB_ARGS)

demo-down:
	$(VENV)/bin/python tests/lab/scenario.py down $(LAB)
