#!/usr/bin/env python3
"""A small charm written with Python's ops that uses Juju secrets the usual way, run under
charm-sim to show real ops code works against its secrets: the leader adds an
application-owned secret, finds it again by label, grants it to each `clients` relation and
publishes its id, changes its content on config-changed, and removes it on stop."""

import ops

LABEL = "db-password"


class SecretsCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.install, self._on_install)
        framework.observe(self.on.clients_relation_joined, self._on_joined)
        framework.observe(self.on.config_changed, self._on_config_changed)
        framework.observe(self.on.stop, self._on_stop)

    def _on_install(self, _event: ops.InstallEvent):
        if not self.unit.is_leader():
            return
        secret = self.app.add_secret({"password": "first-pass"}, label=LABEL, description="db")
        # Readable at once in the hook that created it.
        assert secret.get_content() == {"password": "first-pass"}
        self.unit.status = ops.ActiveStatus("secret added")

    def _on_joined(self, event: ops.RelationJoinedEvent):
        secret = self.model.get_secret(label=LABEL)
        secret.grant(event.relation)
        event.relation.data[self.app]["secret-id"] = secret.get_info().id
        self.unit.status = ops.ActiveStatus(f"shared with {event.app.name}")

    def _on_config_changed(self, _event: ops.ConfigChangedEvent):
        secret = self.model.get_secret(label=LABEL)
        secret.set_content({"password": "second-pass"})
        info = secret.get_info()
        self.unit.status = ops.ActiveStatus(f"revision {info.revision} pending")

    def _on_stop(self, _event: ops.StopEvent):
        try:
            secret = self.model.get_secret(label=LABEL)
        except ops.SecretNotFoundError:
            return
        secret.remove_all_revisions()


if __name__ == "__main__":
    ops.main(SecretsCharm)
