#!/usr/bin/env python3
"""A Tempo worker charm on `coordinated_workers.worker.Worker` from PyPI, run under charm-sim
against our coordinator's tempo-cluster databag (tests/python_worker.rs).

It does what Canonical's tempo-worker-k8s does with the Worker: one role from the `role-*`
options, Tempo's Pebble layer (`/bin/tempo -config.file=... -target <role>`), a readiness
check on :3200/ready, the cluster relation on `tempo-cluster`. What the simulator has no
counterpart for is switched off here, and only that:
- Pebble's socket: ops hard-codes /charm/containers/<name>/pebble.socket; charm-sim serves
  each container's Pebble under $CHARM_CONTAINERS_DIR/<name>/pebble.socket (as our layer
  reads it), so the client is pointed there;
- the Kubernetes API: the leader's pod-label patch (lightkube) is a no-op;
- the three Charmhub libraries the Worker imports (Loki log forwarding, resource patching,
  service-mesh labels) are small stand-ins under lib/, as no Loki and no Kubernetes are here.
"""

import socket

import ops
import tenacity

# --- what charm-sim has no counterpart for (see the docstring) ---------------------------
from charm_sim_pebble import use_charm_sim_sockets  # noqa: E402 (tests/python/)

use_charm_sim_sockets()

import coordinated_workers.worker as cw_worker  # noqa: E402
from coordinated_workers.worker import CONFIG_FILE, Worker  # noqa: E402

cw_worker.Client = lambda *args, **kwargs: None
cw_worker.reconcile_charm_labels = lambda **kwargs: None
# -------------------------------------------------------------------------------------------


class TempoWorker(Worker):
    """Tempo in one role, as tempo-worker-k8s runs it."""

    SERVICE_START_RETRY_STOP = tenacity.stop_after_delay(10)
    SERVICE_START_RETRY_WAIT = tenacity.wait_fixed(1)

    def __init__(self, charm: ops.CharmBase):
        super().__init__(
            charm=charm,
            name="tempo",
            pebble_layer=self._layer,
            endpoints={"cluster": "tempo-cluster"},
            readiness_check_endpoint=lambda _: f"http://{socket.getfqdn()}:3200/ready",
        )

    @staticmethod
    def _layer(worker: Worker) -> ops.pebble.Layer:
        roles = worker.roles
        if len(roles) != 1:
            raise ValueError(f"a Tempo worker runs exactly one role, not {roles}")
        target = "scalable-single-binary" if roles[0] == "all" else roles[0]
        return ops.pebble.Layer(
            {
                "summary": "tempo worker layer",
                "services": {
                    "tempo": {
                        "override": "replace",
                        "summary": "tempo worker process",
                        "command": f"/bin/tempo -config.file={CONFIG_FILE} -target {target}",
                        "startup": "enabled",
                    }
                },
            }
        )


class TempoWorkerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.worker = TempoWorker(self)


if __name__ == "__main__":
    ops.main(TempoWorkerCharm)
