"""The conformance tests' hands on delta-rs: reads or appends to a Delta table the way any user would.

    python delta_rs.py read <uri> [version]      -> {"version", "schema", "rows", "files"}
    python delta_rs.py append <uri> <rows.json>  -> {"version"}
    python delta_rs.py checkpoint <uri>          -> {"version"}

S3 access comes from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_REGION). Timestamps go out as epoch microseconds (exact; Delta's timestamp unit); rows are sorted
by their JSON text so two reads compare as lists.
"""

import datetime
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake


def storage_options():
    return {
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_ALLOW_HTTP": "true",
        "conditional_put": "etag",
    }


def plain(value):
    if isinstance(value, datetime.datetime):
        delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return value


def read(uri, version=None):
    table = DeltaTable(uri, storage_options=storage_options(), version=version)
    data = table.to_pyarrow_table()
    rows = [{k: plain(v) for k, v in row.items()} for row in data.to_pylist()]
    rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
    actions = pa.table(table.get_add_actions(flatten=True))
    files = [{k: plain(v) for k, v in row.items()} for row in actions.to_pylist()]
    files.sort(key=lambda f: f["path"])
    return {
        "version": table.version(),
        "schema": json.loads(table.schema().to_json()),
        "arrowSchema": [[f.name, str(f.type), f.nullable] for f in data.schema],
        "rows": rows,
        "files": files,
    }


def append(uri, rows_file):
    table = DeltaTable(uri, storage_options=storage_options())
    schema = pa.schema(table.schema())
    with open(rows_file, encoding="utf-8") as f:
        rows = json.load(f)
    data = pa.Table.from_pylist(rows, schema=schema)
    write_deltalake(uri, data, mode="append", storage_options=storage_options())
    return {"version": DeltaTable(uri, storage_options=storage_options()).version()}


def checkpoint(uri):
    table = DeltaTable(uri, storage_options=storage_options())
    table.create_checkpoint()
    return {"version": table.version()}


def main(argv):
    command, uri = argv[1], argv[2]
    if command == "read":
        result = read(uri, int(argv[3]) if len(argv) > 3 else None)
    elif command == "append":
        result = append(uri, argv[3])
    elif command == "checkpoint":
        result = checkpoint(uri)
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout)
    sys.stdout.flush()
    # After a read through pyarrow, the interpreter's shutdown now and then aborts ("terminate called
    # without an active exception") once everything is done; the answer is out, so skip the shutdown.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
