"""autoscaling (Application Auto Scaling): tagging, deregistration with the target's policies and
scheduled actions, and AWS's error codes."""

import pytest
from botocore.exceptions import ClientError

RESOURCE = "service/apps/web"
DIMENSION = "ecs:service:DesiredCount"
TARGET = {"ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": DIMENSION}
TRACKING = {
    "TargetValue": 60.0,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
}


@pytest.fixture
def aas(client):
    ecs = client("ecs")
    ecs.create_cluster(clusterName="apps")
    arn = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx:1.27", "memory": 256}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition=arn, desiredCount=1)
    return client("application-autoscaling")


def register(aas, **extra):
    return aas.register_scalable_target(MinCapacity=1, MaxCapacity=4, **TARGET, **extra)["ScalableTargetARN"]


def error_code(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_register_returns_the_target_arn_and_keeps_its_tags(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
    # (Tags; response ScalableTargetARN) and
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_ListTagsForResource.html
    arn = register(aas, Tags={"team": "platform"})
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:")
    assert ":scalable-target/" in arn
    [target] = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert target["ScalableTargetARN"] == arn
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "platform"}


def test_register_again_updates_without_retagging(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html:
    # Tags tag the target "when it is created. To tag an existing scalable target, use the
    # TagResource operation."
    arn = register(aas, Tags={"team": "platform"})
    again = aas.register_scalable_target(MaxCapacity=8, Tags={"team": "other"}, **TARGET)["ScalableTargetARN"]
    assert again == arn
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "platform"}
    [target] = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 8)


def test_tag_and_untag_resource(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TagResource.html (adds
    # or replaces values) and
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_UntagResource.html
    arn = register(aas, Tags={"team": "platform", "env": "dev"})
    aas.tag_resource(ResourceARN=arn, Tags={"env": "prod", "owner": "sre"})
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "platform", "env": "prod", "owner": "sre"}
    aas.untag_resource(ResourceARN=arn, TagKeys=["team", "absent"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "prod", "owner": "sre"}


def test_tagging_an_unknown_arn_is_resource_not_found(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TagResource.html (Errors:
    # ResourceNotFoundException)
    arn = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0123456789abcdef0123456789abcdef0123"
    for call in (
        lambda: aas.tag_resource(ResourceARN=arn, Tags={"a": "b"}),
        lambda: aas.untag_resource(ResourceARN=arn, TagKeys=["a"]),
        lambda: aas.list_tags_for_resource(ResourceARN=arn),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert raised.value.response["ResourceName"] == arn


def test_too_many_tags(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TagResource.html (Errors:
    # TooManyTagsException); 50 user tags per resource.
    arn = register(aas)
    aas.tag_resource(ResourceARN=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert error_code(lambda: aas.tag_resource(ResourceARN=arn, Tags={"one-more": "v"})) == "TooManyTagsException"


def test_deregister_deletes_the_targets_policies_and_scheduled_actions(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html:
    # "Deregistering a scalable target deletes the scaling policies and the scheduled actions that
    # are associated with it."
    register(aas)
    aas.put_scaling_policy(
        PolicyName="cpu", PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=TRACKING, **TARGET
    )
    aas.put_scheduled_action(
        ScheduledActionName="night", Schedule="cron(0 22 * * ? *)", ScalableTargetAction={"MinCapacity": 1}, **TARGET
    )
    aas.deregister_scalable_target(**TARGET)
    assert aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    assert aas.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
    # a target registered again starts without them
    register(aas)
    assert aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []


def test_deregister_missing_target_is_object_not_found(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html
    # (Errors: ObjectNotFoundException)
    assert error_code(lambda: aas.deregister_scalable_target(**TARGET)) == "ObjectNotFoundException"


def test_delete_missing_policy_or_scheduled_action_is_object_not_found(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html
    # and https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScheduledAction.html
    # (Errors: ObjectNotFoundException)
    register(aas)
    assert error_code(lambda: aas.delete_scaling_policy(PolicyName="cpu", **TARGET)) == "ObjectNotFoundException"
    assert (
        error_code(lambda: aas.delete_scheduled_action(ScheduledActionName="night", **TARGET))
        == "ObjectNotFoundException"
    )


def test_policy_for_an_unregistered_target_is_object_not_found(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html
    # (Errors: ObjectNotFoundException, "thrown if the scalable target with the specified service
    # namespace, resource ID, and scalable dimension does not exist")
    assert (
        error_code(
            lambda: aas.put_scaling_policy(
                PolicyName="cpu",
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration=TRACKING,
                **TARGET,
            )
        )
        == "ObjectNotFoundException"
    )
    assert (
        error_code(
            lambda: aas.put_scheduled_action(
                ScheduledActionName="night", Schedule="cron(0 22 * * ? *)", **TARGET
            )
        )
        == "ObjectNotFoundException"
    )


def test_invalid_dimension_stays_a_validation_exception(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
    # (Errors: ValidationException)
    assert (
        error_code(
            lambda: aas.register_scalable_target(
                ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension="ecs:service:Nope", MinCapacity=1
            )
        )
        == "ValidationException"
    )


def test_describe_scaling_policies_honours_policy_names(aas):
    # https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
    # (PolicyNames: "The names of the scaling policies to describe.")
    register(aas)
    for name in ["cpu", "memory", "requests"]:
        aas.put_scaling_policy(
            PolicyName=name,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration=TRACKING,
            **TARGET,
        )
    found = aas.describe_scaling_policies(ServiceNamespace="ecs", PolicyNames=["memory", "absent"])
    assert [p["PolicyName"] for p in found["ScalingPolicies"]] == ["memory"]
    assert "NextToken" not in found
    first = aas.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=2)
    assert len(first["ScalingPolicies"]) == 2
    rest = aas.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=2, NextToken=first["NextToken"])
    names = [p["PolicyName"] for p in first["ScalingPolicies"] + rest["ScalingPolicies"]]
    assert sorted(names) == ["cpu", "memory", "requests"]
