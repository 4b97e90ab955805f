"""Distributed Map item readers read from the local cloud's S3 (MinIO), not LocalStack's.

A Distributed Map's ItemReader (`arn:aws:states:::s3:getObject`, `s3:listObjectsV2`) is evaluated inside
LocalStack's Step Functions with an internal client pointed at LocalStack's own S3, which the local cloud
does not run: its objects live in MinIO. With STRATA_S3_ENDPOINT set, that one client is created for
MinIO instead (with the local cloud's fixed dummy credentials), so the state machine the stack
synthesizes reads its item lists where the Lambdas wrote them, unchanged. Nothing else in LocalStack is
touched. It patches an internal class: pinned with LocalStack (see pyproject.toml).
"""

import os

from localstack.runtime import hooks


def _minio_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ["STRATA_S3_ENDPOINT"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 3}),
    )


@hooks.on_infra_start()
def route_item_reader_to_s3():
    if not os.environ.get("STRATA_S3_ENDPOINT"):
        return
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_map.item_reader.resource_eval import (
        resource_eval_s3,
    )

    resource_eval_s3.ResourceEvalS3._get_s3_client = staticmethod(lambda *_args, **_kwargs: _minio_client())
