#!/usr/bin/env python3
"""A tiny charm written with Python's ops, run under charm-sim to show the simulator speaks
Juju's contract to any language: on leader-elected it writes to every `out` relation and
sets active status."""

import ops


class TinyCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.leader_elected, self._on_leader_elected)

    def _on_leader_elected(self, _event: ops.LeaderElectedEvent):
        for relation in self.model.relations["out"]:
            relation.data[self.app].update({"greeting": "hello from ops", "leader": str(self.unit.is_leader())})
        self.unit.status = ops.ActiveStatus("ops charm ran")


if __name__ == "__main__":
    ops.main(TinyCharm)
