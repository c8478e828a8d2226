#!/usr/bin/env python3
"""The benchmark's peer: what a user would otherwise run. A Python ops charm that, as leader,
validates Tempo's URLs with pydantic's AnyHttpUrl and publishes the same two keys to every
tempo-api relation the way ops charms do (relation.data[app].update(...))."""

import json
from typing import Optional

import ops
from pydantic import AnyHttpUrl, BaseModel


class Urls(BaseModel):
    direct_url: AnyHttpUrl
    ingress_url: Optional[AnyHttpUrl] = None


class AppData(BaseModel):
    http: Urls
    grpc: Urls


class PeerCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        framework.observe(self.on.leader_elected, self._publish)
        framework.observe(self.on.update_status, self._publish)

    def _publish(self, _event: ops.EventBase):
        if not self.unit.is_leader():
            return
        host = f"{self.app.name}.{self.model.name}.svc.cluster.local"
        data = AppData(http=Urls(direct_url=f"http://{host}:3200"), grpc=Urls(direct_url=f"http://{host}:9096"))
        dumped = data.model_dump(mode="json", exclude_defaults=True)
        bag = {key: json.dumps(value) for key, value in dumped.items()}
        for relation in self.model.relations["tempo-api"]:
            relation.data[self.app].update(bag)
        self.unit.status = ops.ActiveStatus()


if __name__ == "__main__":
    ops.main(PeerCharm)
