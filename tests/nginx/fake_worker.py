#!/usr/bin/env python3
"""A fake Tempo worker for the nginx routing test (tests/nginx_routing.rs).

Listens on one loopback address, HTTP on some ports and gRPC (h2c, grpcio) on others, and
answers every request or call, whatever its path or method, with a JSON line saying who
answered (role, address, port) and what arrived (method, path, body length, X-Scope-OrgID),
so the test can tell which worker nginx sent it to. Prints "ready" once every port listens.
Stops when its stdin closes.

usage: fake_worker.py ROLE ADDRESS --http PORT,... --grpc PORT,...
"""

import argparse
import json
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc


def answer(role, address, port, **seen):
    return json.dumps({"role": role, "address": address, "port": port, **seen}).encode()


def http_server(role, address, port):
    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = answer(
                role, address, port,
                method=self.command, path=self.path, body_len=len(body),
                org=self.headers.get("X-Scope-OrgID"),
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((address, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class AnyMethod(grpc.GenericRpcHandler):
    """Serves every gRPC method as unary-unary on raw bytes (no protobuf needed)."""

    def __init__(self, role, address, port):
        self.who = (role, address, port)

    def service(self, details):
        metadata = dict(details.invocation_metadata)

        def unary(request, _context):
            return answer(
                *self.who, method="grpc", path=details.method, body_len=len(request),
                org=metadata.get("x-scope-orgid"),
            )

        return grpc.unary_unary_rpc_method_handler(unary)


def grpc_server(role, address, port):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((AnyMethod(role, address, port),))
    if server.add_insecure_port(f"{address}:{port}") != port:
        raise SystemExit(f"cannot listen on {address}:{port} (gRPC)")
    server.start()
    return server


def ports(text):
    return [int(p) for p in text.split(",") if p]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role")
    parser.add_argument("address")
    parser.add_argument("--http", type=ports, default=[])
    parser.add_argument("--grpc", type=ports, default=[])
    args = parser.parse_args()
    servers = [http_server(args.role, args.address, p) for p in args.http]
    servers += [grpc_server(args.role, args.address, p) for p in args.grpc]
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
