"""The gRPC answers of scopegate as Python's grpcio client reads them (not only tonic's).

    python3 tests/grpc-client-py/check.py <host:port> <token with inventory.read>

Prints one JSON object per call: the status code's name, the details (grpc-message, decoded),
the trailing metadata a trailers-only answer carries (`www-authenticate`, `retry-after`, ...),
and the `google.rpc.ErrorInfo` of `grpc-status-details-bin`, read with grpcio-status. The
Rust test `grpc::grpcio_reads_the_same_answers` runs it and compares every field.
"""

import json
import sys

import grpc
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_status import rpc_status


def call(channel, path, token):
    method = channel.unary_unary(
        path,
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    metadata = [("authorization", f"Bearer {token}")] if token else []
    try:
        method(health_pb2.HealthCheckRequest(), metadata=metadata, timeout=5)
        return {"code": "OK"}
    except grpc.RpcError as error:
        trailing = {key: value for key, value in error.trailing_metadata() or () if not key.endswith("-bin")}
        status = rpc_status.from_call(error)
        info = None
        if status is not None:
            for detail in status.details:
                unpacked = error_details_pb2.ErrorInfo()
                if detail.Unpack(unpacked):
                    info = {"reason": unpacked.reason, "domain": unpacked.domain, "metadata": dict(unpacked.metadata)}
        return {
            "code": error.code().name,
            "details": error.details(),
            "www-authenticate": trailing.get("www-authenticate"),
            "error_info": info,
        }


def main():
    target, token = sys.argv[1], sys.argv[2]
    with grpc.insecure_channel(target) as channel:
        for path, bearer in [
            ("/inventory.v1.Inventory/GetItem", None),
            ("/inventory.v1.Inventory/SetPrice", token),
            ("/grpc.health.v1.Health/Check", None),
        ]:
            print(json.dumps(call(channel, path, bearer), sort_keys=True))


if __name__ == "__main__":
    main()
