"""The commit case's baseline: delta-rs (PyPI deltalake, the project's pinned venv) on the same table.

    python commit_delta_rs.py measure <uri> <rows.parquet> <runs> <scratch uri>
        -> {"loads": [{"ms", "version"}], "appends": [{"ms"}], "version"}
    python commit_delta_rs.py probe <uri> <rows.parquet>  -> {"version"}
    python commit_delta_rs.py count <uri>                 -> {"version", "rows", "files"}

`measure` loads the table WARM_UP_LOADS times and appends WARM_UP_APPENDS times to a throwaway table (the
scratch uri), unmeasured (the runtime, its threads and pyarrow warm, as strata's side is), then times
`runs` loads (`DeltaTable(uri)`) and `runs` appends (`write_deltalake(uri, data, mode="append")` of the
rows in the Parquet file, read and cast to the table's schema before the clock starts), in milliseconds,
inside this process: the interpreter's start and the imports are not in them; after each append it prints
`mark appended` and waits for a line on stdin (the caller rolls the append back meanwhile). `probe` does
one load and one append, each after a `mark <name>`, so that whoever counts the requests (a proxy between
it and S3) can tell them apart. `count` reads every data file of the latest version and counts its rows.
S3 access comes from the environment as in test/support/delta_rs.py.
"""

import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


# The same numbers as strata's side (commit-ours.ts).
WARM_UP_LOADS = 3
WARM_UP_APPENDS = 3


def storage_options():
    return {
        "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_ALLOW_HTTP": "true",
        "conditional_put": "etag",
    }


def mark(name):
    """Tells the caller where this process is, and waits for its answer (a line on stdin)."""
    print(f"mark {name}", flush=True)
    sys.stdin.readline()


def ms_since(started):
    return (time.perf_counter() - started) * 1000


def measure(uri, rows_file, runs, scratch_uri):
    options = storage_options()
    for _ in range(WARM_UP_LOADS):
        warm = DeltaTable(uri, storage_options=options)
    data = pq.read_table(rows_file).cast(pa.schema(warm.schema()))
    for _ in range(WARM_UP_APPENDS):
        write_deltalake(scratch_uri, data, mode="append", storage_options=options)
    loads = []
    for _ in range(runs):
        started = time.perf_counter()
        table = DeltaTable(uri, storage_options=options)
        loads.append({"ms": ms_since(started), "version": table.version()})
    appends = []
    for _ in range(runs):
        started = time.perf_counter()
        write_deltalake(uri, data, mode="append", storage_options=options)
        appends.append({"ms": ms_since(started)})
        # The caller rolls the append back before it answers: the next one meets the same table.
        mark("appended")
    return {"loads": loads, "appends": appends, "version": DeltaTable(uri, storage_options=options).version()}


def probe(uri, rows_file):
    options = storage_options()
    data = pq.read_table(rows_file).cast(pa.schema(DeltaTable(uri, storage_options=options).schema()))
    mark("load")
    DeltaTable(uri, storage_options=options)
    mark("append")
    write_deltalake(uri, data, mode="append", storage_options=options)
    mark("end")
    return {"version": DeltaTable(uri, storage_options=options).version()}


def count(uri):
    table = DeltaTable(uri, storage_options=storage_options())
    return {
        "version": table.version(),
        "rows": table.to_pyarrow_table().num_rows,
        "files": len(table.file_uris()),
    }


def main(argv):
    command, uri = argv[1], argv[2]
    if command == "measure":
        result = measure(uri, argv[3], int(argv[4]), argv[5])
    elif command == "probe":
        result = probe(uri, argv[3])
    elif command == "count":
        result = count(uri)
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout)
    sys.stdout.flush()
    # After a read through pyarrow, the interpreter's shutdown now and then aborts ("terminate called
    # without an active exception") once everything is done; the answer is out, so skip the shutdown.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
