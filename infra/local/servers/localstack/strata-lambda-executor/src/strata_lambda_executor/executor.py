"""Forwards LocalStack Lambda invocations to the strata lambda host instead of a Docker container.

The host is a Node process serving the Lambda Invoke API at ``$STRATA_LAMBDA_HOST_URL`` (read from
LocalStack's environment). It refuses requests without its per-start token, ``$STRATA_LAMBDA_HOST_TOKEN``.
Each invocation becomes::

    POST {STRATA_LAMBDA_HOST_URL}/2015-03-31/functions/{function name}/invocations
    body: the event, as the caller sent it
    Authorization: Bearer {STRATA_LAMBDA_HOST_TOKEN}
    X-Amz-Invocation-Type: RequestResponse   (LocalStack already handles async invokes itself)
    X-Amz-Log-Type: Tail                     (logs in X-Amz-Log-Result are stored in CloudWatch Logs)
    Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Invoked-Function-Arn, Lambda-Runtime-Trace-Id,
    Lambda-Runtime-Deadline-Ms               (as the Lambda Runtime API hands them to a runtime)
    X-Strata-Function-Environment            (base64 JSON of the function's configured variables)

A response with ``X-Amz-Function-Error`` (any status) is a function error whose payload is the body,
e.g. ``{"errorType": "TransientError", "errorMessage": "..."}``: LocalStack answers the caller with
``FunctionError: Unhandled`` and that payload, so Step Functions Retry/Catch match on ``errorType``.

Implements LocalStack's internal ``RuntimeExecutor`` API (localstack-core 2026.3.0), whose reference is
its Docker executor: services/lambda_/invocation/{runtime_executor,docker_runtime_executor}.py.
"""

import base64
import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from email.message import Message

from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import NAMESPACE
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

LOG = logging.getLogger(__name__)

HOST_URL_VARIABLE = "STRATA_LAMBDA_HOST_URL"
HOST_TOKEN_VARIABLE = "STRATA_LAMBDA_HOST_TOKEN"

# The host enforces each function's timeout itself; this slack only keeps a hung host from blocking a
# LocalStack worker thread for ever.
TIMEOUT_SLACK_SECONDS = 5

# A host being restarted (e.g. by a file watcher) refuses connections for a moment. Nothing has been
# sent then, so retrying cannot run a handler twice. Same schedule as LocalStack's Docker executor.
CONNECT_RETRY_DELAYS_SECONDS = (0.1, 0.2, 0.4, 0.8, 1.0)

# Loopback traffic must not go through an HTTP(S)_PROXY the developer may have set.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HostUnreachable(Exception):
    pass


class StrataRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self._logs: list[str] = []

    # Lifecycle: nothing to start; the host is a long-running process that serves every function.

    def start(self, env_vars: dict[str, str]) -> None:
        # env_vars also holds LocalStack's container plumbing (runtime endpoint, /var/task paths, an
        # assumed-role session); only the function's own configuration is meaningful to the host.
        self._logs.append(
            f"forwarding {self.function_version.qualified_arn} to {_host_url() or '(unset)'}"
        )

    def stop(self) -> None:
        pass

    # Addresses: the "execution environment" is this process's host, reached over loopback.

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return config.LOCALSTACK_HOST.host

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{self.get_endpoint_from_executor()}:{port}{NAMESPACE}/{self.id}"

    def get_logs(self) -> str:
        return "\n".join(self._logs)

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        pass  # no image to build: the host already has the code

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        for variable in (HOST_URL_VARIABLE, HOST_TOKEN_VARIABLE):
            if not os.environ.get(variable, "").strip():
                LOG.error("%s is not set: Lambda invocations cannot be forwarded", variable)
                return False
        return True

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        started = time.monotonic()
        try:
            status, headers, body = self._post(payload)
        except HostUnreachable as error:
            return self._error(request_id, "StrataLambdaHostUnreachable", str(error), started)
        except TimeoutError:
            message = f"Task timed out after {self._timeout_seconds():.2f} seconds"
            return self._error(request_id, "Sandbox.Timedout", message, started)
        except (OSError, http.client.HTTPException) as error:
            # E.g. the host died mid-request: the handler may have run, so this is not retried here.
            message = f"lambda host connection failed: {error!r}"
            return self._error(request_id, "StrataLambdaHostError", message, started)
        # Message.get is case-insensitive, whatever casing the host used.
        logs = _decode_logs(headers.get("X-Amz-Log-Result"))
        function_error = headers.get("X-Amz-Function-Error")
        if function_error:
            body = body or _error_body(function_error, "the function failed without an error payload")
            return self._result(request_id, body, True, logs, started)
        if not 200 <= status < 300:
            message = f"lambda host answered HTTP {status}: {body[:500].decode('utf-8', 'replace')}"
            return self._error(request_id, "StrataLambdaHostError", message, started)
        return self._result(request_id, body, False, logs, started)

    def _post(self, payload: dict[str, str]) -> tuple[int, Message, bytes]:
        request = urllib.request.Request(
            self._invoke_url(),
            data=payload["payload"].encode("utf-8"),
            headers=self._headers(payload),
            method="POST",
        )
        timeout = self._timeout_seconds() + TIMEOUT_SLACK_SECONDS
        for delay in (*CONNECT_RETRY_DELAYS_SECONDS, None):
            try:
                with _OPENER.open(request, timeout=timeout) as response:
                    return response.status, response.headers, response.read()
            except urllib.error.HTTPError as error:
                # Not a transport failure: the host answered, e.g. 4xx/5xx with X-Amz-Function-Error.
                return error.code, error.headers, error.read()
            except urllib.error.URLError as error:
                if isinstance(error.reason, TimeoutError):
                    raise error.reason from error
                if not isinstance(error.reason, ConnectionRefusedError) or delay is None:
                    raise HostUnreachable(f"{request.full_url}: {error.reason}") from error
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _invoke_url(self) -> str:
        host = _host_url()
        if not host:
            raise HostUnreachable(f"{HOST_URL_VARIABLE} is not set in LocalStack's environment")
        name = urllib.parse.quote(self.function_version.id.function_name, safe="")
        return f"{host.rstrip('/')}/2015-03-31/functions/{name}/invocations"

    def _headers(self, payload: dict[str, str]) -> dict[str, str]:
        deadline_ms = int(time.time() * 1000) + self._timeout_seconds() * 1000
        headers = {
            "Authorization": f"Bearer {os.environ.get(HOST_TOKEN_VARIABLE, '').strip()}",
            "Content-Type": "application/json",
            "X-Amz-Invocation-Type": "RequestResponse",
            "X-Amz-Log-Type": "Tail",
            "Lambda-Runtime-Aws-Request-Id": payload["invoke-id"],
            "Lambda-Runtime-Invoked-Function-Arn": payload["invoked-function-arn"],
            "Lambda-Runtime-Trace-Id": payload.get("trace-id") or "",
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
        }
        environment = self.function_version.config.environment
        if environment:
            encoded = json.dumps(environment, separators=(",", ":")).encode("utf-8")
            headers["X-Strata-Function-Environment"] = base64.b64encode(encoded).decode("ascii")
        return headers

    def _timeout_seconds(self) -> int:
        return int(self.function_version.config.timeout or 3)

    def _error(self, request_id: str, error_type: str, message: str, started: float) -> InvocationResult:
        LOG.warning("invocation %s of %s: %s", request_id, self.function_version.qualified_arn, message)
        return self._result(request_id, _error_body(error_type, message), True, None, started)

    def _result(
        self, request_id: str, body: bytes, is_error: bool, logs: str | None, started: float
    ) -> InvocationResult:
        # LocalStack warns on every invocation that returns no logs, so report at least the platform lines.
        elapsed_ms = (time.monotonic() - started) * 1000
        version = self.function_version.id.qualifier
        platform_logs = (
            f"START RequestId: {request_id} Version: {version}\n"
            f"{logs or ''}"
            f"END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\n"
        )
        return InvocationResult(request_id, body, is_error=is_error, logs=platform_logs)


def _host_url() -> str:
    return os.environ.get(HOST_URL_VARIABLE, "").strip()


def _error_body(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode("utf-8")


def _decode_logs(encoded: str | None) -> str | None:
    if not encoded:
        return None
    try:
        text = base64.b64decode(encoded).decode("utf-8", "replace")
    except ValueError:
        return None
    return text if text.endswith("\n") else f"{text}\n"
