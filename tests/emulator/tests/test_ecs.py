"""ecs: CreateService keeps every field, clientToken idempotency, deployments that roll out, failing
tasks and the deployment circuit breaker; task definitions with EFS volumes."""

import time

import pytest
from botocore.exceptions import ClientError

GOOD = "public.ecr.aws/nginx/nginx:1.27"
FAILING = "public.ecr.aws/nginx/nginx:v2-emulator-fail"
BREAKER = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}


@pytest.fixture
def ecs(client):
    ecs = client("ecs")
    ecs.create_cluster(clusterName="apps")
    return ecs


def task_definition(ecs, image=GOOD, family="web"):
    return ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "web", "image": image, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]


def service(ecs, name="web"):
    return ecs.describe_services(cluster="apps", services=[name])["services"][0]


def primary(svc):
    [deployment] = [d for d in svc["deployments"] if d["status"] == "PRIMARY"]
    return deployment


def messages(svc):
    return [event["message"] for event in svc["events"]]


# --- CreateService fields -------------------------------------------------------------------------


def test_create_service_keeps_every_field(ecs, client):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html: the service
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html) reads back with
    # what CreateService was given; Service Connect is part of the deployment
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html).
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}
    target_group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
    # Service Connect needs its Cloud Map namespace to exist (API_ServiceConnectConfiguration.html).
    client("servicediscovery").create_http_namespace(Name="apps")
    connect = {"enabled": True, "namespace": "apps"}
    created = ecs.create_service(
        cluster="apps",
        serviceName="web",
        taskDefinition=task_definition(ecs),
        desiredCount=2,
        launchType="FARGATE",
        deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
        },
        healthCheckGracePeriodSeconds=60,
        enableExecuteCommand=True,
        networkConfiguration=network,
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "web", "containerPort": 80}],
        propagateTags="SERVICE",
        tags=[{"key": "team", "value": "platform"}],
        serviceConnectConfiguration=connect,
        clientToken="token-1",
    )["service"]
    svc = ecs.describe_services(cluster="apps", services=["web"], include=["TAGS"])["services"][0]
    for read in (created, svc):
        assert read["deploymentConfiguration"] == {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
        }
        assert read["healthCheckGracePeriodSeconds"] == 60
        assert read["enableExecuteCommand"] is True
        assert read["networkConfiguration"] == network
        assert read["loadBalancers"] == [{"targetGroupArn": target_group, "containerName": "web", "containerPort": 80}]
        assert read["propagateTags"] == "SERVICE"
        assert read["launchType"] == "FARGATE"
        assert primary(read)["serviceConnectConfiguration"] == connect
        assert primary(read)["networkConfiguration"] == network
    assert svc["tags"] == [{"key": "team", "value": "platform"}]


def test_deployment_configuration_defaults(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html:
    # maximumPercent 200 and minimumHealthyPercent 100 for REPLICA services; the circuit breaker is off.
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=1)
    assert service(ecs)["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }


def test_fargate_spot_service_has_a_strategy_and_no_launch_type(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
    # (capacityProviderStrategy: "If a capacityProviderStrategy is specified, the launchType
    # parameter must be omitted.")
    strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
    ecs.create_service(
        cluster="apps",
        serviceName="web",
        taskDefinition=task_definition(ecs),
        desiredCount=1,
        capacityProviderStrategy=strategy,
    )
    svc = service(ecs)
    assert svc["capacityProviderStrategy"] == strategy
    assert "launchType" not in svc
    assert primary(svc)["capacityProviderStrategy"] == strategy
    assert "launchType" not in primary(svc)


def test_launch_type_and_strategy_together_are_rejected(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (launchType
    # and capacityProviderStrategy are exclusive): InvalidParameterException.
    with pytest.raises(ClientError) as raised:
        ecs.create_service(
            cluster="apps",
            serviceName="web",
            taskDefinition=task_definition(ecs),
            desiredCount=1,
            launchType="FARGATE",
            capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        )
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"


# --- clientToken ----------------------------------------------------------------------------------


def test_same_client_token_returns_the_existing_service(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (clientToken:
    # "An identifier that you provide to ensure the idempotency of the request.")
    arn = task_definition(ecs)
    first = ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=2, clientToken="t-1")
    again = ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=5, clientToken="t-1")
    assert again["service"]["serviceArn"] == first["service"]["serviceArn"]
    assert again["service"]["createdAt"] == first["service"]["createdAt"]
    assert again["service"]["desiredCount"] == 2
    assert service(ecs)["desiredCount"] == 2


@pytest.mark.parametrize("token", [None, "t-2"])
def test_existing_service_name_is_not_idempotent(ecs, token):
    # AWS answers a CreateService for the name of an ACTIVE service, without its clientToken, with
    # InvalidParameterException "Creation of service was not idempotent."
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (Errors)
    arn = task_definition(ecs)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=2, clientToken="t-1")
    extra = {"clientToken": token} if token else {}
    with pytest.raises(ClientError) as raised:
        ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=3, **extra)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"] == "Creation of service was not idempotent."
    assert service(ecs)["desiredCount"] == 2


def test_a_deleted_service_name_can_be_used_again(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html: a deleted
    # service is INACTIVE; its name can be used for a new service.
    arn = task_definition(ecs)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=0)
    ecs.delete_service(cluster="apps", service="web")
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=1)
    assert service(ecs)["status"] == "ACTIVE"


# --- deployments ----------------------------------------------------------------------------------


def test_create_service_rolls_out_one_primary_deployment(ecs, delay, finish):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html: a deployment is
    # IN_PROGRESS with pending tasks, then COMPLETED with every task running; the events say so
    # (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html).
    delay(30)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=3)
    svc = service(ecs)
    [deployment] = svc["deployments"]
    assert deployment["status"] == "PRIMARY"
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} in progress."
    assert (deployment["runningCount"], deployment["pendingCount"]) == (0, 3)
    assert (svc["runningCount"], svc["pendingCount"]) == (0, 3)

    finish()
    svc = service(ecs)
    [done] = svc["deployments"]
    assert done["id"] == deployment["id"]
    assert done["rolloutState"] == "COMPLETED"
    assert done["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (done["runningCount"], done["pendingCount"]) == (3, 0)
    assert (svc["runningCount"], svc["pendingCount"]) == (3, 0)
    assert messages(svc)[:2] == [
        "(service web) has reached a steady state.",
        f"(service web) (deployment {deployment['id']}) deployment completed.",
    ]


def test_list_services_evaluates_the_rollout_too(ecs, delay, finish):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListServices.html: a read of the
    # services brings their rollouts up to date; the cluster's task counts
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Cluster.html) follow.
    delay(30)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=2)
    cluster = ecs.describe_clusters(clusters=["apps"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 2)
    finish()
    assert len(ecs.list_services(cluster="apps")["serviceArns"]) == 1
    cluster = ecs.describe_clusters(clusters=["apps"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (2, 0)


def test_new_task_definition_starts_a_new_deployment(ecs, delay, finish):
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html: the new
    # deployment is PRIMARY, the old one ACTIVE and running until the new tasks are up, then drained.
    v1, v2 = task_definition(ecs), task_definition(ecs, image=GOOD + "-2")
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=v1, desiredCount=2)
    first = primary(service(ecs))["id"]
    delay(30)
    updated = ecs.update_service(cluster="apps", service="web", taskDefinition=v2)["service"]
    assert updated["taskDefinition"] == v2
    svc = service(ecs)
    new, old = svc["deployments"]
    assert (new["status"], new["taskDefinition"], new["rolloutState"]) == ("PRIMARY", v2, "IN_PROGRESS")
    assert (new["runningCount"], new["pendingCount"]) == (0, 2)
    assert (old["id"], old["status"], old["taskDefinition"]) == (first, "ACTIVE", v1)
    assert old["runningCount"] == 2
    assert (svc["runningCount"], svc["pendingCount"]) == (2, 2)

    finish()
    svc = service(ecs)
    [only] = svc["deployments"]
    assert (only["id"], only["rolloutState"], only["runningCount"]) == (new["id"], "COMPLETED", 2)
    assert (svc["runningCount"], svc["pendingCount"], svc["taskDefinition"]) == (2, 0, v2)


def test_task_definition_by_family_reads_back_as_arn(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
    # (taskDefinition: "family and revision (family:revision) or full ARN"); Service.taskDefinition
    # is the ARN.
    v1 = task_definition(ecs)
    v2 = task_definition(ecs, image=GOOD + "-2")
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=v1, desiredCount=1)
    ecs.update_service(cluster="apps", service="web", taskDefinition="web:2")
    assert service(ecs)["taskDefinition"] == v2


def test_desired_count_alone_keeps_the_deployment(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html: a new
    # desiredCount scales the service; it starts no deployment.
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=2)
    before = primary(service(ecs))["id"]
    ecs.update_service(cluster="apps", service="web", desiredCount=4)
    svc = service(ecs)
    [deployment] = svc["deployments"]
    assert deployment["id"] == before
    assert (deployment["desiredCount"], deployment["runningCount"]) == (4, 4)
    assert (svc["desiredCount"], svc["runningCount"]) == (4, 4)


@pytest.mark.parametrize(
    "change",
    [
        {"forceNewDeployment": True},
        {"deploymentConfiguration": {"minimumHealthyPercent": 50}},
    ],
)
def test_forced_or_reconfigured_deployment(ecs, change):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
    # (forceNewDeployment; "When you update any of these parameters, Amazon ECS starts new tasks
    # with the new configuration.")
    arn = task_definition(ecs)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=1)
    before = primary(service(ecs))["id"]
    ecs.update_service(cluster="apps", service="web", **change)
    after = primary(service(ecs))
    assert after["id"] != before
    assert (after["taskDefinition"], after["rolloutState"]) == (arn, "COMPLETED")


def test_deployment_configuration_update_keeps_what_it_does_not_name(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=1)
    ecs.update_service(cluster="apps", service="web", deploymentConfiguration=BREAKER)
    assert service(ecs)["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }


def test_rollout_seconds_tag_sets_the_rollout_time(ecs, finish):
    # Emulator control (README): the service tag stackwright-emulator/rollout-seconds overrides
    # STACKWRIGHT_EMULATOR_DELAY for that service's deployments.
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
    ecs.create_service(
        cluster="apps",
        serviceName="web",
        taskDefinition=task_definition(ecs),
        desiredCount=1,
        tags=[{"key": "stackwright-emulator/rollout-seconds", "value": "60"}],
    )
    assert primary(service(ecs))["rolloutState"] == "IN_PROGRESS"
    finish()
    assert primary(service(ecs))["rolloutState"] == "COMPLETED"


def test_moto_task_count_variables_do_not_decide(ecs, monkeypatch):
    # Counts come from the deployment lifecycle
    # (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html), not from moto's
    # MOTO_ECS_SERVICE_RUNNING / MOTO_ECS_SERVICE_FAILED_TASKS.
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "7")
    monkeypatch.setenv("MOTO_ECS_SERVICE_FAILED_TASKS", "5")
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=2)
    svc = service(ecs)
    assert (svc["runningCount"], svc["pendingCount"]) == (2, 0)
    assert primary(svc)["failedTasks"] == 0


def test_update_of_a_deleted_service_is_service_not_active(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html (Errors:
    # ServiceNotActiveException)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs), desiredCount=0)
    ecs.delete_service(cluster="apps", service="web")
    with pytest.raises(ClientError) as raised:
        ecs.update_service(cluster="apps", service="web", desiredCount=1)
    assert raised.value.response["Error"]["Code"] == "ServiceNotActiveException"


# --- failing tasks and the circuit breaker ---------------------------------------------------------


def test_circuit_breaker_rolls_back_a_failing_deployment(ecs, delay, finish):
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html:
    # the failed deployment ends FAILED ("ECS deployment circuit breaker: tasks failed to start.") and
    # a rollback deployment of the last completed one starts, then completes; the service event log
    # shows "(deployment ...) deployment failed: tasks failed to start." and "rolling back to
    # deployment ...".
    good = task_definition(ecs)
    bad = task_definition(ecs, image=FAILING)
    ecs.create_service(
        cluster="apps", serviceName="web", taskDefinition=good, desiredCount=2, deploymentConfiguration=BREAKER
    )
    completed = primary(service(ecs))["id"]
    delay(30)
    ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
    failing = primary(service(ecs))
    assert failing["rolloutState"] == "IN_PROGRESS"
    assert failing["runningCount"] == 0

    finish()  # the failing rollout reaches the circuit breaker's threshold
    svc = service(ecs)
    rollback, failed = svc["deployments"]
    assert failed["id"] == failing["id"]
    assert (failed["status"], failed["rolloutState"]) == ("ACTIVE", "FAILED")
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert failed["failedTasks"] == 3  # the threshold: half the desired count, at least 3
    assert rollback["id"] not in (completed, failed["id"])
    assert (rollback["status"], rollback["taskDefinition"], rollback["rolloutState"]) == ("PRIMARY", good, "IN_PROGRESS")
    assert rollback["rolloutStateReason"] == (
        f"ECS deployment circuit breaker: rolling back to deploymentId {completed}."
    )
    assert rollback["runningCount"] == 2  # the tasks of the old revision kept running
    assert messages(svc)[:2] == [
        f"(service web) rolling back to deployment {completed}.",
        f"(service web) (deployment {failed['id']}) deployment failed: tasks failed to start.",
    ]

    finish()
    svc = service(ecs)
    [only] = svc["deployments"]
    assert (only["id"], only["rolloutState"], only["taskDefinition"]) == (rollback["id"], "COMPLETED", good)
    assert svc["taskDefinition"] == good
    assert svc["runningCount"] == 2


def test_circuit_breaker_without_rollback_leaves_the_deployment_failed(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html:
    # without rollback the deployment fails and stops launching tasks; the old tasks keep running.
    good = task_definition(ecs)
    bad = task_definition(ecs, image=FAILING)
    ecs.create_service(
        cluster="apps",
        serviceName="web",
        taskDefinition=good,
        desiredCount=8,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}},
    )
    ecs.update_service(cluster="apps", service="web", taskDefinition=bad)
    svc = service(ecs)
    failed, old = svc["deployments"]
    assert (failed["status"], failed["rolloutState"], failed["taskDefinition"]) == ("PRIMARY", "FAILED", bad)
    assert failed["failedTasks"] == 4  # half of 8
    assert (old["status"], old["runningCount"]) == ("ACTIVE", 8)
    assert svc["runningCount"] == 8


def test_failing_tasks_without_circuit_breaker_stay_in_progress(ecs, delay):
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html: without
    # the circuit breaker a deployment whose tasks fail keeps trying; failedTasks grows.
    delay(0.2)
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=task_definition(ecs, image=FAILING), desiredCount=2)
    time.sleep(0.5)
    deployment = primary(service(ecs))
    assert deployment["rolloutState"] == "IN_PROGRESS"
    assert deployment["failedTasks"] >= 3
    assert deployment["runningCount"] == 0
    time.sleep(0.3)
    assert primary(service(ecs))["failedTasks"] > deployment["failedTasks"]


def test_failing_first_deployment_has_nothing_to_roll_back_to(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
    # (rollback goes "to the last deployment that completed successfully"; there is none).
    ecs.create_service(
        cluster="apps",
        serviceName="web",
        taskDefinition=task_definition(ecs, image=FAILING),
        desiredCount=1,
        deploymentConfiguration=BREAKER,
    )
    [deployment] = service(ecs)["deployments"]
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "FAILED")


# --- task definitions with EFS volumes ------------------------------------------------------------

EFS_CONTAINER = {
    "name": "web",
    "image": GOOD,
    "memory": 512,
    "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": True}],
}


def register_efs(ecs, efs_configuration, containers=None):
    return ecs.register_task_definition(
        family="files",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=containers or [EFS_CONTAINER],
        volumes=[{"name": "data", "efsVolumeConfiguration": efs_configuration}],
    )["taskDefinition"]


def client_error(call, *args, **kwargs):
    with pytest.raises(ClientError) as error:
        call(*args, **kwargs)
    return error.value.response["Error"]


def test_efs_volume_reads_back_as_registered(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html: the
    # task definition (API_TaskDefinition.html) reads back with its volumes (API_Volume.html,
    # API_EFSVolumeConfiguration.html, API_EFSAuthorizationConfig.html) and the containers'
    # mountPoints (API_MountPoint.html) as registered; rootDirectory omitted reads "/" ("Specifying /
    # will have the same effect as omitting this parameter").
    configuration = {
        "fileSystemId": "fs-0123456789abcdef0",
        "transitEncryption": "ENABLED",
        "transitEncryptionPort": 2999,
        "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0", "iam": "ENABLED"},
    }
    registered = register_efs(ecs, dict(configuration))
    described = ecs.describe_task_definition(taskDefinition="files")["taskDefinition"]
    for read in (registered, described):
        assert read["volumes"] == [{"name": "data", "efsVolumeConfiguration": {**configuration, "rootDirectory": "/"}}]
        assert read["containerDefinitions"][0]["mountPoints"] == EFS_CONTAINER["mountPoints"]

    # without an access point, any rootDirectory and transit encryption off are fine
    plain = {"fileSystemId": "fs-0123456789abcdef0", "rootDirectory": "/shared", "transitEncryption": "DISABLED"}
    register_efs(ecs, dict(plain))
    described = ecs.describe_task_definition(taskDefinition="files:2")["taskDefinition"]
    assert described["volumes"] == [{"name": "data", "efsVolumeConfiguration": plain}]


def test_access_point_with_root_directory_is_a_client_exception(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSVolumeConfiguration.html
    # (rootDirectory) and API_EFSAuthorizationConfig.html (accessPointId): "If an access point is
    # specified, the root directory value specified in the EFSVolumeConfiguration must either be
    # omitted or set to /". RegisterTaskDefinition's errors (API_RegisterTaskDefinition.html) include
    # ClientException.
    configuration = {
        "fileSystemId": "fs-0123456789abcdef0",
        "rootDirectory": "/data",
        "transitEncryption": "ENABLED",
        "authorizationConfig": {"accessPointId": "fsap-0123456789abcdef0"},
    }
    assert client_error(register_efs, ecs, configuration)["Code"] == "ClientException"
    # "/" is allowed
    register_efs(ecs, {**configuration, "rootDirectory": "/"})
    assert ecs.list_task_definitions(familyPrefix="files")["taskDefinitionArns"] == [
        "arn:aws:ecs:us-east-1:123456789012:task-definition/files:1"
    ]


@pytest.mark.parametrize(
    "authorization",
    [{"accessPointId": "fsap-0123456789abcdef0"}, {"iam": "ENABLED"}],
    ids=["access-point", "iam"],
)
@pytest.mark.parametrize("transit", [None, "DISABLED"], ids=["omitted", "disabled"])
def test_access_point_or_iam_needs_transit_encryption(ecs, authorization, transit):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSAuthorizationConfig.html:
    # "If an access point is used, transit encryption must be on in the EFSVolumeConfiguration"; iam:
    # "If it is turned on, transit encryption must be turned on" (API_EFSVolumeConfiguration.html:
    # transitEncryption defaults to DISABLED). ClientException (API_RegisterTaskDefinition.html).
    configuration = {"fileSystemId": "fs-0123456789abcdef0", "authorizationConfig": authorization}
    if transit is not None:
        configuration["transitEncryption"] = transit
    assert client_error(register_efs, ecs, configuration)["Code"] == "ClientException"
    register_efs(ecs, {**configuration, "transitEncryption": "ENABLED"})


def test_iam_disabled_needs_no_transit_encryption(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSAuthorizationConfig.html: only
    # an access point or iam ENABLED requires transit encryption.
    register_efs(ecs, {"fileSystemId": "fs-0123456789abcdef0", "authorizationConfig": {"iam": "DISABLED"}})


def test_mount_point_of_unknown_volume_is_a_client_exception(ecs):
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_MountPoint.html: sourceVolume
    # "Must be a volume name referenced in the name parameter of task definition volume"; AWS answers
    # ClientException "Unknown volume 'NAME'." (API_RegisterTaskDefinition.html).
    container = {**EFS_CONTAINER, "mountPoints": [{"sourceVolume": "logs", "containerPath": "/logs"}]}
    error = client_error(register_efs, ecs, {"fileSystemId": "fs-0123456789abcdef0"}, containers=[container])
    assert error["Code"] == "ClientException"
    assert error["Message"] == "Unknown volume 'logs'."
    # a container without mount points next to one with a valid one is fine
    sidecar = {"name": "sidecar", "image": GOOD, "memory": 128}
    register_efs(ecs, {"fileSystemId": "fs-0123456789abcdef0"}, containers=[EFS_CONTAINER, sidecar])
