#!/usr/bin/env python3
"""Runs Canonical's Python tempo-coordinator-k8s, unmodified, as the bench's other column
(benches/coordinator.rs). The charm's source comes from a snapshot of canonical/tempo-operators
(never committed here); this launcher is the `dispatch` target in its charm directory.

Before handing over to `ops.main`, it switches off what the simulator has no counterpart for,
following the charm's own unit-test fixtures (coordinator/tests/unit/conftest.py) and the
recording of ../shared/conformance/coordinator:
- Pebble's socket: ops hard-codes /charm/containers/<name>/pebble.socket; charm-sim serves it
  under $CHARM_CONTAINERS_DIR/<name>/pebble.socket, so the client is pointed there;
- the Kubernetes API (pod labels, the resource-limits patch, lightkube's client);
- `is_workload_ready`, which spawns `curl` against Tempo's /ready: taken as ready, so the
  Python column does not pay for that process (this favours it);
- the unit's FQDN, set to the one a Kubernetes pod of this unit would have.
Everything else (the Coordinator, its libraries, pydantic, Pebble traffic, hook tools) runs
for real.
"""

import os
import socket
import sys
from unittest.mock import MagicMock

import ops
import ops.model

from charm_sim_pebble import use_charm_sim_sockets  # noqa: E402 (tests/python/)

use_charm_sim_sockets()

_unit = os.environ.get("JUJU_UNIT_NAME", "tempo/0")
_app = _unit.split("/")[0]
_fqdn = f"{_unit.replace('/', '-')}.{_app}-endpoints.{os.environ.get('JUJU_MODEL_NAME', 'cos')}.svc.cluster.local"
socket.getfqdn = lambda *args: _fqdn

import lightkube.core.client  # noqa: E402

lightkube.core.client.GenericSyncClient = MagicMock()

sys.path[:0] = ["src", "lib"]
import coordinated_workers.coordinator as coordinator  # noqa: E402

coordinator.Coordinator._reconcile_charm_labels = lambda self, *a, **k: None
_patch = coordinator.KubernetesComputeResourcesPatch
_patch._namespace = "cos"
_patch._patch = lambda self, *a, **k: None
_patch.get_status = lambda self: ops.ActiveStatus("")
_patch.is_ready = lambda self: True

import charm  # noqa: E402

charm.TempoCoordinatorCharm.is_workload_ready = lambda self: True

if __name__ == "__main__":
    ops.main(charm.TempoCoordinatorCharm)
