"""ContentStore on an S3 bucket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import Declined, aws_errors

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MARKDOWN_CONTENT_TYPE = "text/markdown; charset=utf-8"
# What S3 answers a conditional put (If-None-Match) when the key exists or a concurrent
# conditional write to it is in flight.
PUT_DECLINED = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")
NOT_FOUND = ("NoSuchKey", "404")
MARKDOWN_PREFIX = "content/"
SITE_TAG = "newswire-object=site"
"""The tag of every object written outside content/ (the site's pages, feeds, sitemaps): the
bucket's lifecycle expires their old versions after 3 days (template.yaml, ContentBucket),
while the Markdown's are kept 90. Lifecycle rules select by prefix or tag only, and the site
is at the bucket root, so only a tag can tell its objects apart."""


class S3Store:
    """ContentStore on an S3 bucket."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put_new(self, key: str, body: bytes) -> bool:
        try:
            with aws_errors(f"S3 put of {key}", declined=PUT_DECLINED):
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType=MARKDOWN_CONTENT_TYPE,
                    IfNoneMatch="*",
                )
        except Declined:
            return False
        return True

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> None:
        headers: dict[str, Any] = {"ContentType": content_type or MARKDOWN_CONTENT_TYPE}
        if cache_control is not None:
            headers["CacheControl"] = cache_control
        if not key.startswith(MARKDOWN_PREFIX):
            headers["Tagging"] = SITE_TAG
        with aws_errors(f"S3 put of {key}"):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **headers)

    def get(self, key: str) -> bytes | None:
        try:
            with aws_errors(f"S3 get of {key}", declined=NOT_FOUND):
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Declined:
            return None

    def delete(self, key: str) -> None:
        with aws_errors(f"S3 delete of {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)  # absent: no error

    def keys(self, prefix: str) -> Iterator[str]:
        with aws_errors(f"S3 listing of {prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]
