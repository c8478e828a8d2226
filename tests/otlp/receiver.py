"""An OTLP/HTTP trace receiver on loopback for the charm-tracing tests.

Decodes each POST to /v1/traces with the `opentelemetry-proto` package (PyPI): OTLP/JSON as
the specification defines it (protobuf's JSON mapping, with trace and span ids in hex), or
binary protobuf. Appends one JSON line per decoded request to OUT: the resource attributes and
each span's name, ids, parent and attributes. While the file STALL exists, it reads the request
and never answers (until killed), as a receiver that hangs would.

    python receiver.py PORT_FILE OUT STALL
"""

import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PORT_FILE, OUT, STALL = sys.argv[1:4]


def hex_ids_to_base64(node):
    """OTLP/JSON carries ids as hex; protobuf's JSON parser wants base64 for bytes."""
    if isinstance(node, dict):
        for k, v in list(node.items()):
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                node[k] = base64.b64encode(bytes.fromhex(v)).decode()
            else:
                hex_ids_to_base64(v)
    elif isinstance(node, list):
        for v in node:
            hex_ids_to_base64(v)


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(STALL):
            time.sleep(3600)
            return
        req = ExportTraceServiceRequest()
        try:
            if self.headers.get("Content-Type", "").startswith("application/json"):
                doc = json.loads(body)
                hex_ids_to_base64(doc)
                json_format.ParseDict(doc, req)
            else:
                req.ParseFromString(body)
        except Exception as e:  # noqa: BLE001 - the test reads the reason
            self.send_response(400)
            msg = str(e).encode()
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        record = {"path": self.path, "content_type": self.headers.get("Content-Type"), "resources": []}
        for rs in req.resource_spans:
            spans = []
            for ss in rs.scope_spans:
                for s in ss.spans:
                    spans.append({
                        "scope": ss.scope.name,
                        "name": s.name,
                        "trace_id": s.trace_id.hex(),
                        "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(),
                        "start": s.start_time_unix_nano,
                        "end": s.end_time_unix_nano,
                        "status": s.status.code,
                        "attributes": {a.key: value(a.value) for a in s.attributes},
                        "events": [e.name for e in s.events],
                    })
            record["resources"].append({
                "attributes": {a.key: value(a.value) for a in rs.resource.attributes},
                "spans": spans,
            })
        with open(OUT, "a") as f:
            f.write(json.dumps(record) + "\n")
        answer = json_format.MessageToJson(ExportTraceServiceResponse()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
