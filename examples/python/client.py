#!/usr/bin/env python3
"""Calls Classify, ClassifyBatch and ClassifyDocument and prints the labels.

Usage: client.py [HOST:PORT]   (default: $STANCE_ADDR, else localhost:50051)

The stubs come from the proto: `make examples-python` writes them to gen/.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen"))

import grpc  # noqa: E402
from stance.v1 import stance_pb2, stance_pb2_grpc  # noqa: E402

TEXTS = [
    "The two countries oppose hegemony and will work together for a multipolar world.",
    "Our country does not take sides in this conflict.",
]
DOCUMENT = "The talks in Genève went well 🤝. Both sides support a fairer global governance. " \
    "They will meet again in May."


def show(name, result):
    labels = ", ".join(result.labels)
    note = " (below threshold)" if result.abstained else ""
    print(f"{name}: {labels}{note}  top={result.top_label} {result.top_score:.3f}")
    if not result.labels and not result.unsupported_language:
        raise SystemExit(f"{name}: no label for a supported language")


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STANCE_ADDR", "localhost:50051")
    with grpc.insecure_channel(addr) as channel:
        stub = stance_pb2_grpc.StanceServiceStub(channel)

        resp = stub.Classify(stance_pb2.ClassifyRequest(text=TEXTS[0]), timeout=10)
        show("Classify", resp.result)

        batch = stub.ClassifyBatch(
            stance_pb2.ClassifyBatchRequest(requests=[stance_pb2.ClassifyRequest(text=t) for t in TEXTS]),
            timeout=10)
        for item in batch.items:
            if item.status.code != 0:
                raise SystemExit(f"ClassifyBatch item {item.index}: {item.status.message}")
            show(f"ClassifyBatch[{item.index}]", item.result)

        doc = stub.ClassifyDocument(
            stance_pb2.ClassifyDocumentRequest(text=DOCUMENT, encoding_type=stance_pb2.ENCODING_TYPE_UTF32),
            timeout=10)
        for s in doc.sentences:
            # UTF32 offsets are code points: Python's own string indices.
            if DOCUMENT[s.begin_offset:s.end_offset] != s.text:
                raise SystemExit(f"ClassifyDocument: offsets {s.begin_offset}-{s.end_offset} do not give {s.text!r}")
            show(f"ClassifyDocument[{s.begin_offset}:{s.end_offset}]", s.result)
        if not doc.sentences:
            raise SystemExit("ClassifyDocument: no sentences")


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        raise SystemExit(f"{e.code().name}: {e.details()}")
