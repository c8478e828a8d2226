#!/usr/bin/env python3
"""Runs tests/worker_charm with what a test machine must not do switched off, for
tests/tls_python_worker.rs: with TLS, coordinated_workers' Worker writes the CA into the
*charm* container's /usr/local/share/ca-certificates and runs `update-ca-certificates` there
with `subprocess.run`. Under charm-sim the charm container is the test machine, so the CA
path is moved under the charm directory (WORKER_CHARM_CA) and the command is recorded in
WORKER_CHARM_RUNS instead of run."""

import json
import os
import runpy
from pathlib import Path

import coordinated_workers.worker as cw_worker

cw_worker.ROOT_CA_CERT_PATH = Path(os.environ["WORKER_CHARM_CA"])


class _Recorder:
    @staticmethod
    def run(args, *a, **k):
        with open(os.environ["WORKER_CHARM_RUNS"], "a") as f:
            f.write(json.dumps(args) + "\n")


cw_worker.subprocess = _Recorder
runpy.run_path(str(Path(__file__).resolve().parent.parent / "src" / "charm.py"), run_name="__main__")
