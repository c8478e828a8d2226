"""The real tls-certificates v4 library (PyPI charmlibs-interfaces-tls-certificates) on our
requirer databag: what it reads from our CSR, and the provider databag it writes after
signing it with its own CA. Input and output are JSON on stdin/stdout."""
import json
import sys
from datetime import timedelta

from charmlibs.interfaces.tls_certificates import (
    Certificate,
    CertificateRequestAttributes,
    CertificateSigningRequest,
    PrivateKey,
)
from charmlibs.interfaces.tls_certificates._tls_certificates import (
    _Certificate,
    _ProviderApplicationData,
    _RequirerData,
)

args = json.load(sys.stdin)
if args.get("make_key"):
    # A key as the Python charm leaves it in its secret (for the refresh case).
    json.dump({"private_key": str(PrivateKey.generate())}, sys.stdout)
    sys.exit(0)
requirer = _RequirerData.load(args["requirer_databag"])
out = {"csrs": [], "provider_databag": None}
ca_key = PrivateKey.generate()
ca = Certificate.generate_self_signed_ca(
    attributes=CertificateRequestAttributes(common_name="Python CA"),
    private_key=ca_key,
    validity=timedelta(days=365),
)
certs = []
for entry in requirer.certificate_signing_requests:
    csr = CertificateSigningRequest.from_string(entry.certificate_signing_request)
    attrs = CertificateRequestAttributes.from_csr(csr, is_ca=False)
    wanted = CertificateRequestAttributes(
        common_name=args["common_name"],
        sans_dns=frozenset(args["sans_dns"]),
        add_unique_id_to_subject_name=True,
    )
    out["csrs"].append({
        "common_name": csr.common_name,
        "sans_dns": sorted(csr.sans_dns or []),
        "has_unique_identifier": csr.has_unique_identifier,
        "same_request_as_the_library_makes": attrs == wanted,
        "ca": entry.ca,
        "str_roundtrip": str(csr) == entry.certificate_signing_request,
        "matches_python_key": (
            csr.matches_private_key(PrivateKey.from_string(args["python_key"]))
            if args.get("python_key") else None
        ),
    })
    cert = Certificate.generate(csr=csr, ca=ca, ca_private_key=ca_key, validity=timedelta(days=30))
    certs.append(_Certificate(
        ca=str(ca),
        certificate_signing_request=str(csr),
        certificate=str(cert),
        chain=[str(cert), str(ca)],
        revoked=args.get("revoked"),
    ))
out["provider_databag"] = _ProviderApplicationData(certificates=certs).dump({})
json.dump(out, sys.stdout)
