"""LocalStack Lambda runtime executor that forwards invocations to the strata local lambda host."""
