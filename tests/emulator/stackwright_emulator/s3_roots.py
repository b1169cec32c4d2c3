"""S3's REST-XML responses carry the root element names S3 sends.

moto 5.2 serializes S3 results generically and names the XML root element after the operation
(<GetBucketVersioningResponse>), because botocore's service model (moto's source) drops the root
names that the Smithy model gives these outputs. Real S3 sends <VersioningConfiguration>,
<Tagging>, and so on; boto3 ignores the root name, the AWS SDK for Rust checks it and fails with
"unhandled error". This extension renames the root for the S3 operations below to what S3 sends
and changes nothing else.
"""

from moto.core import serialize

# Root element names of S3 outputs without a payload member, from the S3 Smithy model (@xmlName).
S3_ROOTS = {
    "GetBucketVersioning": "VersioningConfiguration",
    "GetBucketTagging": "Tagging",
    "GetObjectTagging": "Tagging",
    "GetBucketCors": "CORSConfiguration",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration",
    "GetBucketLocation": "LocationConstraint",
    "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketAcl": "AccessControlPolicy",
    "GetObjectAcl": "AccessControlPolicy",
    "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketRequestPayment": "RequestPaymentConfiguration",
    "GetBucketNotificationConfiguration": "NotificationConfiguration",
    "ListBuckets": "ListAllMyBucketsResult",
    "ListObjects": "ListBucketResult",
    "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult",
    "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult",
    "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult",
    "DeleteObjects": "DeleteResult",
}

_original = serialize.S3Serializer._serialize_body


def _serialize_body(self, body):
    name = getattr(getattr(self, "operation_model", None), "name", None)
    wrong = f"{name}Response"
    if name in S3_ROOTS and isinstance(body, dict) and list(body) == [wrong]:
        body = {S3_ROOTS[name]: body[wrong]}
    return _original(self, body)


def install():
    serialize.S3Serializer._serialize_body = _serialize_body
