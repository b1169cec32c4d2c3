"""Cloud Map HTTP namespaces and ECS Service Connect, as the servicediscovery extension reproduces
them (see stackwright_emulator/servicediscovery.py).

References: AWS Cloud Map API Reference (https://docs.aws.amazon.com/cloud-map/latest/api/):
API_CreateHttpNamespace.html, API_ListNamespaces.html, API_NamespaceFilter.html,
API_ListServices.html, API_ServiceFilter.html, API_DeleteNamespace.html, API_DeleteService.html;
ECS API Reference (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/):
API_ServiceConnectConfiguration.html, API_ServiceConnectService.html, API_CreateService.html,
API_UpdateService.html; ECS Developer Guide: service-connect-concepts.html.
"""

import pytest
from botocore.exceptions import ClientError


def _code(error):
    return error.value.response["Error"]["Code"]


def _namespace_id(sd, operation_id):
    return sd.get_operation(OperationId=operation_id)["Operation"]["Targets"]["NAMESPACE"]


def _names(namespaces):
    return sorted(ns["Name"] for ns in namespaces)


def test_create_http_namespace_is_idempotent_by_creator_request_id(client):
    # API_CreateHttpNamespace.html: CreatorRequestId "allows failed CreateHttpNamespace requests to
    # be retried without the risk of running the operation twice"; NamespaceAlreadyExists (HTTP
    # 400) "The namespace that you're trying to create already exists.", with the existing
    # namespace's CreatorRequestId and NamespaceId.
    sd = client("servicediscovery")
    first = sd.create_http_namespace(Name="shop", CreatorRequestId="req-1")["OperationId"]
    again = sd.create_http_namespace(Name="shop", CreatorRequestId="req-1")["OperationId"]
    assert again == first
    namespace_id = _namespace_id(sd, first)
    [listed] = sd.list_namespaces()["Namespaces"]
    assert (listed["Id"], listed["Name"], listed["Type"]) == (namespace_id, "shop", "HTTP")

    for kwargs in ({"CreatorRequestId": "req-2"}, {}):  # boto3 fills in a fresh id when none is given
        with pytest.raises(ClientError) as error:
            sd.create_http_namespace(Name="shop", **kwargs)
        response = error.value.response
        assert _code(error) == "NamespaceAlreadyExists"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert (response["NamespaceId"], response["CreatorRequestId"]) == (namespace_id, "req-1")
    assert len(sd.list_namespaces()["Namespaces"]) == 1, "no duplicate was created"

    # Another name is another namespace.
    other = sd.create_http_namespace(Name="shop-2", CreatorRequestId="req-3")["OperationId"]
    assert _namespace_id(sd, other) != namespace_id
    assert _names(sd.list_namespaces()["Namespaces"]) == ["shop", "shop-2"]


def test_list_namespaces_and_list_services_honour_filters(client):
    # API_ListNamespaces.html / API_NamespaceFilter.html: TYPE, NAME, HTTP_NAME with EQ (the
    # default, one value), BEGINS_WITH (one value), IN; a namespace must match every filter.
    # API_ListServices.html / API_ServiceFilter.html: NAMESPACE_ID (an ID or ARN), EQ or IN.
    sd = client("servicediscovery")
    ids = {}
    for name in ("shop", "shop-staging", "blog"):
        ids[name] = _namespace_id(sd, sd.create_http_namespace(Name=name)["OperationId"])
    sd.create_public_dns_namespace(Name="shop.example.com")
    everything = _names(sd.list_namespaces()["Namespaces"])
    assert everything == ["blog", "shop", "shop-staging", "shop.example.com"]

    def names(*filters):
        return _names(sd.list_namespaces(Filters=list(filters))["Namespaces"])

    assert names({"Name": "NAME", "Values": ["shop"]}) == ["shop"]
    assert names({"Name": "NAME", "Values": ["shop"], "Condition": "EQ"}) == ["shop"]
    assert names({"Name": "NAME", "Values": ["shop"], "Condition": "BEGINS_WITH"}) == [
        "shop",
        "shop-staging",
        "shop.example.com",
    ]
    assert names({"Name": "TYPE", "Values": ["HTTP"]}) == ["blog", "shop", "shop-staging"]
    assert names({"Name": "TYPE", "Values": ["DNS_PUBLIC"]}) == ["shop.example.com"]
    assert names({"Name": "TYPE", "Values": ["HTTP", "DNS_PUBLIC"], "Condition": "IN"}) == everything
    assert names({"Name": "HTTP_NAME", "Values": ["blog"]}) == ["blog"]
    shop_prefix = {"Name": "NAME", "Values": ["shop"], "Condition": "BEGINS_WITH"}
    assert names(shop_prefix, {"Name": "TYPE", "Values": ["HTTP"]}) == ["shop", "shop-staging"]
    assert names({"Name": "NAME", "Values": ["nothing"]}) == []
    for bad in (
        {"Name": "NAME", "Values": ["shop", "blog"]},  # EQ takes one value
        {"Name": "NAME", "Values": ["shop"], "Condition": "BETWEEN"},
    ):
        with pytest.raises(ClientError) as error:
            sd.list_namespaces(Filters=[bad])
        assert _code(error) == "InvalidInput", bad

    services = {}
    for namespace, service in (("shop", "api"), ("shop", "web"), ("blog", "api")):
        created = sd.create_service(Name=service, NamespaceId=ids[namespace], Type="HTTP")["Service"]
        services[created["Id"]] = (namespace, service)

    def in_namespaces(*values, condition=None):
        filter_ = {"Name": "NAMESPACE_ID", "Values": list(values)}
        if condition:
            filter_["Condition"] = condition
        listed = sd.list_services(Filters=[filter_])["Services"]
        return sorted(services[s["Id"]] for s in listed)

    assert len(sd.list_services()["Services"]) == 3
    assert in_namespaces(ids["shop"]) == [("shop", "api"), ("shop", "web")]
    assert in_namespaces(ids["blog"], condition="EQ") == [("blog", "api")]
    assert in_namespaces(ids["shop-staging"]) == []
    shop_arn = sd.get_namespace(Id=ids["shop"])["Namespace"]["Arn"]
    assert in_namespaces(shop_arn) == [("shop", "api"), ("shop", "web")]
    assert in_namespaces(ids["shop"], ids["blog"], condition="IN") == sorted(services.values())
    with pytest.raises(ClientError) as error:
        sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [ids["shop"], ids["blog"]]}])
    assert _code(error) == "InvalidInput"


def test_namespace_and_service_in_use_cannot_be_deleted(client):
    # API_DeleteNamespace.html: "If the namespace still contains one or more services, the request
    # fails." API_DeleteService.html: "If the service still contains one or more registered
    # instances, the request fails." Both ResourceInUse (HTTP 409 in the API model).
    sd = client("servicediscovery")
    namespace_id = _namespace_id(sd, sd.create_http_namespace(Name="shop")["OperationId"])
    service_id = sd.create_service(Name="api", NamespaceId=namespace_id, Type="HTTP")["Service"]["Id"]
    sd.register_instance(ServiceId=service_id, InstanceId="i-1", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.1"})

    with pytest.raises(ClientError) as error:
        sd.delete_namespace(Id=namespace_id)
    assert _code(error) == "ResourceInUse"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert "Namespace has associated services" in error.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as error:
        sd.delete_service(Id=service_id)
    assert _code(error) == "ResourceInUse"
    assert sd.get_service(Id=service_id)["Service"]["Name"] == "api"

    sd.deregister_instance(ServiceId=service_id, InstanceId="i-1")
    sd.delete_service(Id=service_id)
    with pytest.raises(ClientError) as error:
        sd.get_service(Id=service_id)
    assert _code(error) == "ServiceNotFound"
    sd.delete_namespace(Id=namespace_id)
    assert sd.list_namespaces()["Namespaces"] == []


# --- ECS Service Connect ---------------------------------------------------------------------------


def _task_definition(ecs, port_names=("http",), family="api"):
    return ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "api",
                "image": "registry.example/shop/api:1",
                "portMappings": [
                    {"name": name, "containerPort": 8080 + i, "protocol": "tcp"} for i, name in enumerate(port_names)
                ],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def _cloud_map_services(sd, namespace_id):
    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id]}])["Services"]
    return {s["Name"]: s for s in listed}


def test_ecs_service_connect_creates_cloud_map_services_that_outlive_the_ecs_service(client):
    # ECS Developer Guide, service-connect-concepts.html; API_ServiceConnectConfiguration.html
    # ("namespace": a Cloud Map namespace name or ARN in the service's Region) and
    # API_ServiceConnectService.html ("discoveryName is the name of the new Cloud Map service that
    # Amazon ECS creates for this Amazon ECS service"; without it the portName is used; "The
    # portName must match the name of one of the portMappings from all the containers in the task
    # definition"). CreateService/UpdateService list NamespaceNotFoundException ("The specified
    # namespace wasn't found.") among their errors. ECS's DeleteService leaves the Cloud Map
    # services, so the namespace is deleted after them (API_DeleteNamespace.html).
    sd, ecs = client("servicediscovery"), client("ecs")
    namespace_id = _namespace_id(sd, sd.create_http_namespace(Name="shop")["OperationId"])
    namespace_arn = sd.get_namespace(Id=namespace_id)["Namespace"]["Arn"]
    ecs.create_cluster(clusterName="apps")
    td = _task_definition(ecs, port_names=("http", "admin"))
    create = {
        "cluster": "apps",
        "taskDefinition": td,
        "desiredCount": 1,
        "launchType": "FARGATE",
    }

    # A namespace that does not exist: refused, nothing created.
    with pytest.raises(ClientError) as error:
        ecs.create_service(
            serviceName="api",
            serviceConnectConfiguration={"enabled": True, "namespace": "nowhere", "services": [{"portName": "http"}]},
            **create,
        )
    assert _code(error) == "NamespaceNotFoundException"
    assert "nowhere" in error.value.response["Error"]["Message"]
    # A portName that is no port mapping's name: refused, naming it.
    with pytest.raises(ClientError) as error:
        ecs.create_service(
            serviceName="api",
            serviceConnectConfiguration={
                "enabled": True,
                "namespace": namespace_arn,
                "services": [{"portName": "grpc"}],
            },
            **create,
        )
    assert _code(error) == "InvalidParameterException"
    assert "grpc" in error.value.response["Error"]["Message"]
    assert ecs.describe_services(cluster="apps", services=["api"])["services"] == []
    assert _cloud_map_services(sd, namespace_id) == {}

    # A service by ARN without discoveryName: its portName names the Cloud Map service.
    connect = {
        "enabled": True,
        "namespace": namespace_arn,
        "services": [{"portName": "http", "clientAliases": [{"port": 80, "dnsName": "api"}]}],
    }
    ecs.create_service(serviceName="api", serviceConnectConfiguration=connect, **create)
    made = _cloud_map_services(sd, namespace_id)
    assert list(made) == ["http"]
    assert made["http"]["Type"] == "HTTP"
    tags = sd.list_tags_for_resource(ResourceARN=made["http"]["Arn"])["Tags"]
    assert {"Key": "AmazonECSManaged", "Value": "true"} in tags
    assert sd.list_instances(ServiceId=made["http"]["Id"])["Instances"] == []  # no tasks registered

    # A second ECS service by namespace name with a discoveryName; one by ID reusing "http".
    ecs.create_service(
        serviceName="admin",
        serviceConnectConfiguration={
            "enabled": True,
            "namespace": "shop",
            "services": [{"portName": "admin", "discoveryName": "api-admin"}],
        },
        **create,
    )
    ecs.create_service(
        serviceName="api-2",
        serviceConnectConfiguration={"enabled": True, "namespace": namespace_id, "services": [{"portName": "http"}]},
        **create,
    )
    after = _cloud_map_services(sd, namespace_id)
    assert sorted(after) == ["api-admin", "http"]
    assert after["http"]["Id"] == made["http"]["Id"], "the existing Cloud Map service is reused"

    # UpdateService checks the same way and creates what is missing.
    with pytest.raises(ClientError) as error:
        ecs.update_service(
            cluster="apps",
            service="api",
            serviceConnectConfiguration={"enabled": True, "namespace": "nowhere", "services": [{"portName": "http"}]},
        )
    assert _code(error) == "NamespaceNotFoundException"
    with pytest.raises(ClientError) as error:
        ecs.update_service(cluster="apps", service="api", taskDefinition=_task_definition(ecs, port_names=("web",)))
    assert _code(error) == "InvalidParameterException"
    assert "http" in error.value.response["Error"]["Message"]
    svc = ecs.describe_services(cluster="apps", services=["api"])["services"][0]
    assert svc["taskDefinition"] == td, "a refused update changes nothing"
    ecs.update_service(
        cluster="apps",
        service="api",
        serviceConnectConfiguration=dict(connect, services=[{"portName": "http", "discoveryName": "api-v2"}]),
    )
    assert sorted(_cloud_map_services(sd, namespace_id)) == ["api-admin", "api-v2", "http"]
    # Turned off: nothing is checked, nothing made.
    ecs.update_service(cluster="apps", service="api", serviceConnectConfiguration={"enabled": False})

    # ECS DeleteService leaves the Cloud Map services; the namespace goes only after them.
    for name in ("api", "admin", "api-2"):
        ecs.delete_service(cluster="apps", service=name, force=True)
    left = _cloud_map_services(sd, namespace_id)
    assert sorted(left) == ["api-admin", "api-v2", "http"]
    with pytest.raises(ClientError) as error:
        sd.delete_namespace(Id=namespace_id)
    assert _code(error) == "ResourceInUse"
    for service in left.values():
        sd.delete_service(Id=service["Id"])
    sd.delete_namespace(Id=namespace_id)
    assert sd.list_namespaces(Filters=[{"Name": "NAME", "Values": ["shop"]}])["Namespaces"] == []
