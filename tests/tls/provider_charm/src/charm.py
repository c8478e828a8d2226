#!/usr/bin/env python3
"""A tls-certificates v4 provider on the real library (PyPI
charmlibs-interfaces-tls-certificates, `TLSCertificatesProvidesV4`), run under charm-sim by
tests/tls_flows.rs: on every hook the leader signs each outstanding CSR with the CA whose
certificate and key the test put in the charm directory (ca.pem, ca.key), 30 days, chain =
[certificate, CA], as self-signed-certificates does."""

from datetime import timedelta
from pathlib import Path

import ops
from charmlibs.interfaces.tls_certificates import (
    Certificate,
    PrivateKey,
    ProviderCertificate,
    TLSCertificatesProvidesV4,
)

HERE = Path(__file__).resolve().parent.parent


class ProviderCharm(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.certificates = TLSCertificatesProvidesV4(self, "certificates")
        for event in (
            self.on.certificates_relation_changed,
            self.on.certificates_relation_joined,
            self.on.update_status,
        ):
            framework.observe(event, self._sign)

    def _sign(self, _event):
        if not self.unit.is_leader():
            return
        ca = Certificate.from_string((HERE / "ca.pem").read_text())
        ca_key = PrivateKey.from_string((HERE / "ca.key").read_text())
        for request in self.certificates.get_outstanding_certificate_requests():
            csr = request.certificate_signing_request
            cert = csr.sign(ca=ca, ca_private_key=ca_key, validity=timedelta(days=30))
            self.certificates.set_relation_certificate(
                ProviderCertificate(
                    relation_id=request.relation_id,
                    certificate=cert,
                    certificate_signing_request=csr,
                    ca=ca,
                    chain=[cert, ca],
                )
            )
        self.unit.status = ops.ActiveStatus("signing")


if __name__ == "__main__":
    ops.main(ProviderCharm)
