#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for the tests: POST /v1/traces bodies (protobuf, as the services export
them) are read with OpenTelemetry's own protobuf definitions (opentelemetry-proto) and each span is
appended to OUT as one JSON line: service, name, kind, trace_id, span_id, parent_span_id (hex).
A body that is not an ExportTraceServiceRequest is answered 400 and recorded as {"error": …}.

    otlp-receiver.py PORT OUT
"""
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span

PORT, OUT = int(sys.argv[1]), sys.argv[2]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = []
        try:
            if self.path != "/v1/traces":
                raise ValueError(f"unexpected path {self.path}")
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource_spans in request.resource_spans:
                service = next((a.value.string_value for a in resource_spans.resource.attributes if a.key == "service.name"), "")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        lines.append({
                            "service": service, "name": span.name, "kind": Span.SpanKind.Name(span.kind),
                            "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(), "parent_span_id": span.parent_span_id.hex(),
                        })
            status, answer = 200, ExportTraceServiceResponse().SerializeToString()
        except Exception as error:  # noqa: BLE001 - recorded for the test to report
            lines.append({"error": str(error)})
            status, answer = 400, b""
        with open(OUT, "a") as out:
            for line in lines:
                out.write(json.dumps(line) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
