#!/usr/bin/env python3
"""Checks an OTLP/JSON trace export against the official OpenTelemetry protobuf definitions.

    python3 tools/otlp_check.py FILE|-  [--json]

Reads an ExportTraceServiceRequest in OTLP/JSON (what `planj export --format otlp` writes; `-`
reads standard input), turns the hex traceId/spanId/parentSpanId (OTLP/JSON) into the base64
that standard proto3 JSON uses for bytes fields, and parses it with
google.protobuf.json_format into opentelemetry.proto's ExportTraceServiceRequest, refusing
unknown fields. Also checks what the protobuf parse cannot: ids of the right length in
lowercase hex, every parentSpanId naming a span of the same trace, end times not before start
times, and OTLP/JSON's own rules: intValue and times as decimal strings, enums as integers.

Prints a summary (resources, spans, span names by count) and exits 0; on any error prints it on
stderr and exits 1. `--json` prints the summary as one JSON object. Needs `pip install opentelemetry-proto`.
"""
import base64
import collections
import json
import re
import sys

HEX = {"traceId": 32, "spanId": 16, "parentSpanId": 16}


def fail(message):
    print(f"otlp_check: {message}", file=sys.stderr)
    sys.exit(1)


def hex_to_base64(obj, where, problems):
    """Rewrites the id fields of spans and span links in place (hex -> base64)."""
    for key, length in HEX.items():
        if key not in obj:
            continue
        value = obj[key]
        if value == "" and key == "parentSpanId":
            continue
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{%d}" % length, value):
            problems.append(f"{where}: {key} {value!r} is not {length} lowercase hex digits")
            continue
        if set(value) == {"0"}:
            problems.append(f"{where}: {key} is all zeros")
        obj[key] = base64.b64encode(bytes.fromhex(value)).decode()


def check_otlp_json(value, where, problems):
    """What OTLP/JSON asks beyond proto3 JSON: 64-bit integers (intValue, *UnixNano) as decimal
    strings, enums (kind, status code) as integers."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            check_otlp_json(v, f"{where}[{i}]", problems)
        return
    if not isinstance(value, dict):
        return
    for key, v in value.items():
        if (key == "intValue" or key.endswith("UnixNano")) and not (isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v)):
            problems.append(f"{where}.{key}: {v!r} is not a decimal string")
        elif key in ("kind", "code") and not (isinstance(v, int) and 0 <= v <= (5 if key == "kind" else 2)):
            problems.append(f"{where}.{key}: {v!r} is not a SpanKind / StatusCode integer")
        else:
            check_otlp_json(v, f"{where}.{key}", problems)


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    if len(args) != 1:
        fail("usage: otlp_check.py FILE|- [--json]")
    try:
        from google.protobuf import json_format
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    except ImportError as e:
        fail(f"cannot import the OpenTelemetry protobuf definitions ({e}): pip install opentelemetry-proto")
    text = sys.stdin.read() if args[0] == "-" else open(args[0], encoding="utf-8").read()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"not JSON: {e}")
    if not isinstance(doc, dict):
        fail("not a JSON object")

    problems = []
    check_otlp_json(doc, "", problems)
    spans_by_trace = collections.defaultdict(dict)
    for r, resource in enumerate(doc.get("resourceSpans", [])):
        for s, scope in enumerate(resource.get("scopeSpans", [])):
            for i, span in enumerate(scope.get("spans", [])):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}] ({span.get('name')!r})"
                trace, sid, parent = span.get("traceId"), span.get("spanId"), span.get("parentSpanId")
                if sid in spans_by_trace[trace]:
                    problems.append(f"{where}: spanId {sid} is used twice")
                spans_by_trace[trace][sid] = (where, parent)
                try:
                    if int(span.get("endTimeUnixNano", "0")) < int(span.get("startTimeUnixNano", "0")):
                        problems.append(f"{where}: ends before it starts")
                except (TypeError, ValueError):
                    problems.append(f"{where}: times are not decimal strings")
                hex_to_base64(span, where, problems)
                for k, link in enumerate(span.get("links", [])):
                    hex_to_base64(link, f"{where}.links[{k}]", problems)
    for trace, spans in spans_by_trace.items():
        for sid, (where, parent) in spans.items():
            if parent and parent not in spans:
                problems.append(f"{where}: parentSpanId {parent} is not a span of trace {trace}")
    if problems:
        fail("\n".join(problems))

    request = ExportTraceServiceRequest()
    try:
        json_format.Parse(json.dumps(doc), request, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        fail(f"not an ExportTraceServiceRequest: {e}")

    names = collections.Counter()
    roots = 0
    services = []
    for resource in request.resource_spans:
        for attribute in resource.resource.attributes:
            if attribute.key == "service.name":
                services.append(attribute.value.string_value)
        for scope in resource.scope_spans:
            for span in scope.spans:
                names[span.name] += 1
                roots += not span.parent_span_id
    total = sum(names.values())
    if args and "--json" in sys.argv:
        print(json.dumps({"resources": len(request.resource_spans), "traces": len(spans_by_trace), "spans": total,
                          "roots": roots, "services": services, "names": dict(sorted(names.items()))}))
    else:
        print(f"ok: {len(request.resource_spans)} resource(s), {len(spans_by_trace)} trace(s), {total} span(s), "
              f"{roots} root(s), service.name {', '.join(services) or '-'}")
        for name, count in sorted(names.items()):
            print(f"  {count:4d}  {name}")


if __name__ == "__main__":
    main()
