#!/usr/bin/env python3
"""A client that verifies the server's chain with a CA file and its name, for
tests/tls_nginx_real.rs. Prints the answer (JSON) or the failure, exit 1 on failure.

usage: tls_client.py https|grpcs ADDRESS PORT PATH_OR_METHOD SERVER_NAME [CA_FILE]
Without CA_FILE the system's trust store is used (which must refuse the test CA).
"""

import json
import socket
import ssl
import sys

import grpc


def main():
    kind, address, port, what, name = sys.argv[1:6]
    ca = sys.argv[6] if len(sys.argv) > 6 else None
    if kind == "https":
        ctx = ssl.create_default_context(cafile=ca)
        try:
            raw = socket.create_connection((address, int(port)), timeout=10)
            # Connect to the address, verify the certificate against the unit's name.
            with ctx.wrap_socket(raw, server_hostname=name) as sock:
                sock.sendall(f"GET {what} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
                version = sock.version()
        except (OSError, ssl.SSLError) as e:
            print(f"https failed: {e}", file=sys.stderr)
            return 1
        head, _, body = data.decode().partition("\r\n\r\n")
        status = int(head.split()[1])
        print(json.dumps({"status": status, "version": version, "body": body}))
        return 0
    creds = grpc.ssl_channel_credentials(root_certificates=open(ca, "rb").read() if ca else None)
    options = [("grpc.ssl_target_name_override", name), ("grpc.default_authority", name)]
    with grpc.secure_channel(f"{address}:{port}", creds, options=options) as channel:
        try:
            reply = channel.unary_unary(what)(b"\x0a\x00", timeout=10)
        except grpc.RpcError as e:
            print(f"grpcs failed: {e.code()} {e.details()}", file=sys.stderr)
            return 1
    print(json.dumps({"status": 200, "body": reply.decode()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
