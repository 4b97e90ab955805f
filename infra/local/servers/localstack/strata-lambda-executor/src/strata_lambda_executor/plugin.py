from localstack.runtime.server.core import RuntimeServer, RuntimeServerPlugin
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

# Both plugins import their implementation lazily, as LocalStack's own plugins do: plugin discovery
# must stay cheap. They are registered as entry points in pyproject.toml.


class StrataRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """Lambda runtime executor forwarding invocations to the lambda host (LAMBDA_RUNTIME_EXECUTOR=strata)."""

    name = "strata"

    def load(self, *args, **kwargs):
        from strata_lambda_executor.executor import StrataRuntimeExecutor

        return StrataRuntimeExecutor


class BoundTwistedRuntimeServerPlugin(RuntimeServerPlugin):
    """The default gateway server, bound to GATEWAY_LISTEN's host (GATEWAY_SERVER=strata-twisted)."""

    name = "strata-twisted"

    def load(self, *args, **kwargs) -> RuntimeServer:
        from strata_lambda_executor.gateway import BoundTwistedRuntimeServer

        return BoundTwistedRuntimeServer()
