"""Starts the moto server with one compatibility fix for S3's REST-XML responses.

moto 5.2 serializes S3 results generically and names the XML root element after the operation
(<GetBucketVersioningResponse>), because botocore's service model (moto's source) drops the root
names that the Smithy model gives these outputs. Real S3 sends <VersioningConfiguration>,
<Tagging>, and so on; boto3 ignores the root name, the AWS SDK for Rust checks it and fails with
"unhandled error". This launcher renames the root for the S3 operations below to what S3 sends and
changes nothing else. Usage is moto_server's: python moto_server.py -H 127.0.0.1 -p PORT
"""

import sys

from moto.core import serialize
from moto.server import main

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


serialize.S3Serializer._serialize_body = _serialize_body

if __name__ == "__main__":
    sys.exit(main())
