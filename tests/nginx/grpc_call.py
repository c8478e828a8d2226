#!/usr/bin/env python3
"""One unary gRPC call on raw bytes, as a Tempo client or an OTLP exporter would make it over
h2c: prints the response bytes, or the gRPC status on failure (exit 1).

usage: grpc_call.py HOST:PORT /package.Service/Method [ORG_ID]
"""

import sys

import grpc


def main():
    target, method = sys.argv[1], sys.argv[2]
    metadata = [("x-scope-orgid", sys.argv[3])] if len(sys.argv) > 3 else None
    with grpc.insecure_channel(target) as channel:
        try:
            reply = channel.unary_unary(method)(b"\x0a\x00", timeout=10, metadata=metadata)
        except grpc.RpcError as e:
            print(f"gRPC call to {target}{method} failed: {e.code()} {e.details()}", file=sys.stderr)
            return 1
    sys.stdout.write(reply.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
