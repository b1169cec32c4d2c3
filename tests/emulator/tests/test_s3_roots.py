"""s3_roots: S3 REST-XML responses carry the root element S3 sends, which the AWS SDK for Rust
checks (boto3 does not, so the tests read the raw body)."""

import xml.etree.ElementTree as ET

import pytest


@pytest.fixture
def s3(client):
    s3 = client("s3")
    s3.create_bucket(Bucket="roots")
    roots = {}

    def keep_root(http_response, model, **_):
        body = http_response.content
        if body:
            roots[model.name] = ET.fromstring(body).tag.split("}")[-1]

    s3.meta.events.register("after-call.s3", keep_root)
    s3.roots = roots
    return s3


@pytest.mark.parametrize(
    "operation, call, root",
    [
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
        ("GetBucketVersioning", lambda s3: s3.get_bucket_versioning(Bucket="roots"), "VersioningConfiguration"),
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
        ("GetBucketTagging", lambda s3: s3.get_bucket_tagging(Bucket="roots"), "Tagging"),
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
        ("ListBuckets", lambda s3: s3.list_buckets(), "ListAllMyBucketsResult"),
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
        ("ListObjectsV2", lambda s3: s3.list_objects_v2(Bucket="roots"), "ListBucketResult"),
        # https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
        ("GetBucketLocation", lambda s3: s3.get_bucket_location(Bucket="roots"), "LocationConstraint"),
    ],
)
def test_response_root_element(s3, operation, call, root):
    s3.put_bucket_versioning(Bucket="roots", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="roots", Tagging={"TagSet": [{"Key": "team", "Value": "platform"}]})
    call(s3)
    assert s3.roots[operation] == root
