"""Points ops' Pebble clients at charm-sim's sockets.

ops hard-codes /charm/containers/<name>/pebble.socket; charm-sim serves each container's
Pebble under $CHARM_CONTAINERS_DIR/<name>/pebble.socket (the variable our Rust layer reads).
Copied into the lib/ of the Python charms the tests and benches run under charm-sim.
"""

import os

import ops.model


def use_charm_sim_sockets():
    """From here on, every Container's client talks to charm-sim's socket, if one is set."""
    containers_dir = os.environ.get("CHARM_CONTAINERS_DIR")
    if not containers_dir:
        return
    get_pebble = ops.model._ModelBackend.get_pebble

    def sim_pebble(self, socket_path):
        name = socket_path.split("/")[-2]
        return get_pebble(self, os.path.join(containers_dir, name, "pebble.socket"))

    ops.model._ModelBackend.get_pebble = sim_pebble
