"""errors: an operation moto does not implement answers AWS's unknown-operation error in the
service's protocol, never moto's HTML 500 page."""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError


def error_of(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


def test_json_protocol_unknown_operation(client):
    # awsJson1_1 (ECS): an unknown X-Amz-Target is HTTP 400 with __type UnknownOperationException.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (InvalidAction)
    response = error_of(lambda: client("ecs").get_task_protection(cluster="default"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "UnknownOperationException"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "UnknownOperationException"


def test_json_protocol_operation_outside_the_model(endpoint):
    # An X-Amz-Target that names no operation of the API at all answers the same way.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (InvalidAction)
    request = urllib.request.Request(
        endpoint + "/",
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.NoSuchOperation",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ecs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["__type"] == "UnknownOperationException"


def test_query_protocol_unknown_operation(client):
    # awsQuery (ELBv2): InvalidAction, a Sender fault, HTTP 400.
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html
    response = error_of(lambda: client("elbv2").describe_trust_stores())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "InvalidAction"
    assert response["Error"]["Type"] == "Sender"
    assert "DescribeTrustStores" in response["Error"]["Message"]


def test_ec2_protocol_unknown_operation(client):
    # ec2Query: <Response><Errors><Error><Code>InvalidAction</Code>, HTTP 400,
    # "The action X is not valid for this web service."
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
    response = error_of(lambda: client("ec2").describe_fpga_images())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "InvalidAction"
    assert response["Error"]["Message"] == "The action DescribeFpgaImages is not valid for this web service."


def test_rest_json_protocol_unknown_operation(client):
    # restJson1 (EFS): x-amzn-ErrorType UnknownOperationException.
    # https://docs.aws.amazon.com/efs/latest/ug/API_Operations.html lists the operation; moto lacks it.
    response = error_of(lambda: client("efs").describe_replication_configurations())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["Error"]["Code"] == "UnknownOperationException"


def test_rest_xml_protocol_unknown_operation(client):
    # restXml (Route 53): an ErrorResponse with Code InvalidAction, HTTP 400.
    # https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html
    response = error_of(lambda: client("route53").get_checker_ip_ranges())
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "InvalidAction"


def test_implemented_operations_are_unchanged(client):
    # A known operation still answers normally.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListClusters.html
    assert client("ecs").list_clusters()["clusterArns"] == []
