from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin

# The plugin imports its implementation lazily, as LocalStack's own plugins do: plugin discovery
# must stay cheap. It is registered as an entry point in pyproject.toml.


class StrataRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """Lambda runtime executor forwarding invocations to the lambda host (LAMBDA_RUNTIME_EXECUTOR=strata)."""

    name = "strata"

    def load(self, *args, **kwargs):
        from strata_lambda_executor.executor import StrataRuntimeExecutor

        return StrataRuntimeExecutor

