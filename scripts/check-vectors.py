#!/usr/bin/env python3
"""Checks the golden vectors in protocol/vectors/ with an independent CBOR implementation (cbor2).

For every vector file it checks that
  - frame_hex parses per protocol/PROTOCOL.md and every header field matches "frame";
  - the bytes after the header are exactly payload_hex;
  - payload_hex is exactly one CBOR data item (no trailing bytes) that decodes to "value";
  - encoding that value again with cbor2's canonical mode gives payload_hex byte for byte, which shows
    the Swift encoder produces RFC 8949 §4.2 deterministic encoding (shortest integers and floats,
    definite lengths, sorted map keys).

Usage: scripts/check-vectors.py [DIR]   (DIR defaults to protocol/vectors in the repository)
"""

from __future__ import annotations

import io
import json
import math
import struct
import sys
from pathlib import Path

try:
    import cbor2
    from cbor2 import CBORDecoder, CBORTag
except ImportError:
    sys.exit("check-vectors: needs cbor2 (scripts/bootstrap installs it)")

KINDS = {
    "request": 1,
    "response": 2,
    "error": 3,
    "cancel": 4,
    "ping": 5,
    "pong": 6,
    "hello": 16,
    "challenge": 17,
    "auth": 18,
    "welcome": 19,
}
FRAME_KEYS = {"version", "kind", "request_id", "method", "deadline_ms", "flags", "traceparent"}
FLAG_DEADLINE = 0x01
FLAG_TRACE = 0x02  # a W3C trace context follows the deadline
HEADER_SIZE = 12  # after the length field: version, kind, flags, method length, request id

# Tags cbor2 would turn into Python objects (datetime, UUID, Decimal, sets, shared references…).
# The vectors describe tags as they are on the wire, so every one of them is kept as a plain CBORTag.
SEMANTIC_TAGS = (0, 1, 2, 3, 4, 5, 24, 25, 28, 29, 30, 32, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261,
                 1004, 55799)


class VectorError(Exception):
    pass


def keep_tag(tag: int):
    def decode(*args):
        # cbor2 6 passes (value, immutable); cbor2 5 passed the decoder, which then reads the value.
        value = args[0]
        if isinstance(value, CBORDecoder):
            value = value.decode()
        return CBORTag(tag, value)

    return decode


def decode_one(payload: bytes):
    """Decodes exactly one CBOR data item; anything after it is an error."""
    fp = io.BytesIO(payload)
    try:
        decoder = CBORDecoder(
            fp,
            semantic_decoders={tag: keep_tag(tag) for tag in SEMANTIC_TAGS},
            allow_indefinite=False,
            allow_duplicate_keys=False,
        )
    except TypeError as error:
        sys.exit(f"check-vectors: cbor2 {getattr(cbor2, '__version__', '?')} is too old ({error}); "
                 "run: python3 -m pip install -U 'cbor2>=6'")
    try:
        value = decoder.decode()
    except Exception as error:  # cbor2 wraps every decoding problem, but be sure to report, not crash
        raise VectorError(f"payload does not decode: {error}") from None
    end = fp.tell()
    if end != len(payload):
        raise VectorError(f"payload has {len(payload) - end} trailing byte(s) after the CBOR item")
    return value


def to_json_form(value, path="value"):
    """The JSON form of a decoded CBOR value, as the vector files write it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"$float": "nan"}
        if math.isinf(value):
            return {"$float": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [to_json_form(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise VectorError(f"{path}: map key {key!r} is not a text string (the JSON form has none)")
            out[key] = to_json_form(item, f"{path}.{key}")
        return out
    if isinstance(value, CBORTag):
        return {"$tag": value.tag, "value": to_json_form(value.value, f"{path}<tag {value.tag}>")}
    raise VectorError(f"{path}: {type(value).__name__} {value!r} has no JSON form")


def difference(expected, actual, path="value"):
    """Where two JSON-form values differ, or None. 1 and 1.0 differ, and so do true and 1."""
    if type(expected) is not type(actual):
        return f"{path}: expected {json.dumps(expected)}, decoded {json.dumps(actual)}"
    if isinstance(expected, float):
        if expected != actual or math.copysign(1, expected) != math.copysign(1, actual):
            return f"{path}: expected {expected!r}, decoded {actual!r}"
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, decoded {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = difference(e, a, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if expected.keys() != actual.keys():
            missing = sorted(expected.keys() - actual.keys())
            extra = sorted(actual.keys() - expected.keys())
            return f"{path}: keys differ (missing {missing}, unexpected {extra})"
        for key in expected:
            found = difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if expected != actual:
        return f"{path}: expected {json.dumps(expected)}, decoded {json.dumps(actual)}"
    return None


def parse_hex(vector, key) -> bytes:
    text = vector.get(key)
    if not isinstance(text, str):
        raise VectorError(f'"{key}" is missing or not a string')
    try:
        return bytes.fromhex(text)
    except ValueError as error:
        raise VectorError(f'"{key}" is not hex: {error}') from None


def check_frame(frame_bytes: bytes, expected: dict) -> bytes:
    """Checks the frame header against "frame" and returns the payload bytes."""
    if not isinstance(expected, dict):
        raise VectorError('"frame" is missing or not an object')
    unknown = set(expected) - FRAME_KEYS
    if unknown:
        raise VectorError(f'"frame" has unknown fields {sorted(unknown)}')
    if len(frame_bytes) < 4 + HEADER_SIZE:
        raise VectorError(f"frame is {len(frame_bytes)} bytes, shorter than the smallest header")
    (length,) = struct.unpack_from(">I", frame_bytes, 0)
    if length != len(frame_bytes) - 4:
        raise VectorError(f"length field says {length} bytes follow, but {len(frame_bytes) - 4} do")
    version, kind, flags, method_length, request_id = struct.unpack_from(">BBBBQ", frame_bytes, 4)
    offset = 4 + HEADER_SIZE

    problems = []

    def expect(field, actual, wanted):
        if type(actual) is not type(wanted) or actual != wanted:
            problems.append(f"frame {field}: header has {actual!r}, vector says {wanted!r}")

    expect("version", version, expected.get("version"))
    wanted_kind = expected.get("kind")
    wanted_kind_code = KINDS.get(wanted_kind) if isinstance(wanted_kind, str) else wanted_kind
    if wanted_kind_code is None:
        problems.append(f"frame kind: unknown kind {wanted_kind!r}")
    else:
        expect("kind", kind, wanted_kind_code)
    expect("request_id", request_id, expected.get("request_id"))
    if flags & ~(FLAG_DEADLINE | FLAG_TRACE):
        problems.append(f"frame flags: reserved bits set (0x{flags:02x})")
    if "flags" in expected:
        expect("flags", flags, expected["flags"])

    deadline = None
    if flags & FLAG_DEADLINE:
        if len(frame_bytes) < offset + 4:
            raise VectorError("frame flags say a deadline follows, but the frame ends")
        (deadline,) = struct.unpack_from(">I", frame_bytes, offset)
        offset += 4
    wanted_deadline = expected.get("deadline_ms")
    if wanted_deadline is None:
        if deadline is not None:
            problems.append(f"frame deadline_ms: header has {deadline}, vector says null")
    else:
        expect("deadline_ms", deadline, wanted_deadline)

    # The W3C trace context: trace id (16 bytes), parent id (8), trace flags (1), as `traceparent` text.
    traceparent = None
    if flags & FLAG_TRACE:
        if len(frame_bytes) < offset + 25:
            raise VectorError("frame flags say a trace context follows, but the frame ends")
        field = frame_bytes[offset:offset + 25]
        traceparent = f"00-{field[:16].hex()}-{field[16:24].hex()}-{field[24:].hex()}"
        offset += 25
    if traceparent != expected.get("traceparent"):
        problems.append(f"frame traceparent: header has {traceparent!r}, vector says {expected.get('traceparent')!r}")

    if len(frame_bytes) < offset + method_length:
        raise VectorError(f"method length {method_length} runs past the end of the frame")
    try:
        method = frame_bytes[offset:offset + method_length].decode("utf-8")
    except UnicodeDecodeError as error:
        raise VectorError(f"method name is not UTF-8: {error}") from None
    offset += method_length
    expect("method", method, expected.get("method") or "")

    if problems:
        raise VectorError("; ".join(problems))
    return frame_bytes[offset:]


def check_vector(vector) -> None:
    if not isinstance(vector, dict):
        raise VectorError("the file is not a JSON object")
    for key in ("name", "type"):
        if not isinstance(vector.get(key), str) or not vector[key]:
            raise VectorError(f'"{key}" is missing or empty')

    payload = parse_hex(vector, "payload_hex")
    frame_payload = check_frame(parse_hex(vector, "frame_hex"), vector.get("frame"))
    if frame_payload != payload:
        raise VectorError(f"bytes after the frame header ({frame_payload.hex() or 'none'}) "
                          f"differ from payload_hex ({payload.hex() or 'none'})")

    if not payload:
        if vector.get("value") is not None:
            raise VectorError('payload_hex is empty but "value" is not null')
        return
    if "value" not in vector:
        raise VectorError('payload_hex is not empty but "value" is absent')

    decoded = decode_one(payload)
    found = difference(vector["value"], to_json_form(decoded))
    if found:
        raise VectorError(found)

    # cbor2's canonical mode sorts map keys length-first (RFC 7049 §3.9) where RFC 8949 §4.2.1 sorts
    # encoded keys bytewise; for text-string keys, the only keys the JSON form has, the orders agree.
    canonical = cbor2.dumps(decoded, canonical=True)
    if canonical != payload:
        raise VectorError(f"not deterministic encoding: canonical form is {canonical.hex()}, "
                          f"payload is {payload.hex()}")


def main(argv) -> int:
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip())
        return 2
    directory = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parent.parent / "protocol" / "vectors"
    files = sorted(directory.glob("*.json"))
    passed = failed = 0
    for path in files:
        name = path.stem
        try:
            with path.open(encoding="utf-8") as f:
                vector = json.load(f)
            if isinstance(vector, dict) and isinstance(vector.get("name"), str):
                name = vector["name"]
            check_vector(vector)
        except (VectorError, json.JSONDecodeError, UnicodeDecodeError) as error:
            failed += 1
            print(f"FAIL {name} ({path.name}): {error}")
        else:
            passed += 1
            print(f"ok  {name}")
    if not files:
        print(f"check-vectors: no vectors (*.json) in {directory}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
