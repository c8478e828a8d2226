#!/usr/bin/env python3
"""A fake Tempo worker serving TLS, for tests/tls_nginx_real.rs: HTTPS on some ports and gRPC
over TLS (grpcio) on others, on one loopback address, with the certificate and key given.
Answers every request or call with a JSON line naming the port and what arrived (path,
X-Scope-OrgID). Prints "ready" once every port listens; stops when stdin closes.

usage: tls_worker.py ADDRESS CERT KEY --https PORT,... --grpcs PORT,...
"""

import argparse
import json
import ssl
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc


def answer(port, **seen):
    return json.dumps({"port": port, "tls": True, **seen}).encode()


def https_server(address, port, cert, key):
    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            reply = answer(port, path=self.path, org=self.headers.get("X-Scope-OrgID"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class AnyMethod(grpc.GenericRpcHandler):
    def __init__(self, port):
        self.port = port

    def service(self, details):
        metadata = dict(details.invocation_metadata)

        def unary(request, _context):
            return answer(self.port, path=details.method, org=metadata.get("x-scope-orgid"))

        return grpc.unary_unary_rpc_method_handler(unary)


def grpcs_server(address, port, cert, key):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((AnyMethod(port),))
    creds = grpc.ssl_server_credentials([(open(key, "rb").read(), open(cert, "rb").read())])
    if server.add_secure_port(f"{address}:{port}", creds) != port:
        raise SystemExit(f"cannot listen on {address}:{port} (gRPC over TLS)")
    server.start()
    return server


def ports(text):
    return [int(p) for p in text.split(",") if p]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("address")
    p.add_argument("cert")
    p.add_argument("key")
    p.add_argument("--https", type=ports, default=[])
    p.add_argument("--grpcs", type=ports, default=[])
    a = p.parse_args()
    servers = [https_server(a.address, port, a.cert, a.key) for port in a.https]
    servers += [grpcs_server(a.address, port, a.cert, a.key) for port in a.grpcs]
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
