"""Application Auto Scaling: tags on scalable targets, deregistration that takes the target's policies
along, and AWS's error codes.

moto 5.2 implements scalable targets, scaling policies and scheduled actions, but

* has no TagResource, UntagResource or ListTagsForResource and ignores the ``Tags`` of
  RegisterScalableTarget;
* leaves a target's scaling policies and scheduled actions behind when the target is deregistered;
* answers ``ValidationException`` where AWS answers ``ObjectNotFoundException``, accepts scaling
  policies and scheduled actions for targets that are not registered, and deletes missing scheduled
  actions without a word.

This extension follows the Application Auto Scaling API Reference
(https://docs.aws.amazon.com/autoscaling/application/APIReference/):

* RegisterScalableTarget ``Tags`` tag a target when it is created ("To tag an existing scalable
  target, use the TagResource operation"); it returns the target's ``ScalableTargetARN``.
* TagResource adds or replaces tags (at most 50 per target: ``TooManyTagsException``), UntagResource
  removes keys, ListTagsForResource returns ``{"Tags": {key: value}}``; an ARN that names no
  scalable target is ``ResourceNotFoundException`` (with ``ResourceName``). Scalable targets are the
  only taggable resources.
* DeregisterScalableTarget: "Deregistering a scalable target deletes the scaling policies and the
  scheduled actions that are associated with it." A missing target is ``ObjectNotFoundException``.
* DeleteScalingPolicy and DeleteScheduledAction of a missing one: ``ObjectNotFoundException``.
* PutScalingPolicy and PutScheduledAction for a target that is not registered:
  ``ObjectNotFoundException`` ("No scalable target registered for service namespace: ..."), as the
  ObjectNotFoundException shape documents: "For any operation that depends on the existence of a
  scalable target, this exception is thrown if the scalable target ... does not exist."
* DescribeScalingPolicies honours ``PolicyNames`` ("The names of the scaling policies to
  describe"): moto ignores it and pages through every policy of the namespace.
* Everything else keeps moto's ``ValidationException``.
"""

import json

from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeApplicationAutoscalingPolicy,
)
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_policy
from moto.core.exceptions import JsonRESTError

MAX_TAGS = 50


class ObjectNotFoundException(JsonRESTError):
    def __init__(self, message):
        super().__init__("ObjectNotFoundException", message)


class _ResourceError(JsonRESTError):
    def __init__(self, code, message, resource_name):
        super().__init__(code, message)
        self.description = json.dumps({"__type": code, "message": message, "ResourceName": resource_name})


class ResourceNotFoundException(_ResourceError):
    def __init__(self, arn):
        super().__init__("ResourceNotFoundException", f"The specified resource doesn't exist: {arn}", arn)


class TooManyTagsException(_ResourceError):
    def __init__(self, arn):
        super().__init__(
            "TooManyTagsException",
            "The request contains too many tags. Try the request again with fewer tags.",
            arn,
        )


def _target_description(namespace, resource_id, dimension):
    return f"service namespace: {namespace}, resource ID: {resource_id}, scalable dimension: {dimension}"


def _tags(target):
    return target.__dict__.setdefault("_sw_tags", {})


def _target_by_arn(backend, arn):
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise ResourceNotFoundException(arn)


def _require_target(backend, namespace, resource_id, dimension):
    target = backend.targets.get(dimension, {}).get(resource_id)
    if target is None or target.service_namespace != namespace:
        raise ObjectNotFoundException(
            f"No scalable target registered for {_target_description(namespace, resource_id, dimension)}"
        )
    return target


# --- backend --------------------------------------------------------------------------------------

_original_register = ApplicationAutoscalingBackend.register_scalable_target
_original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target
_original_put_scaling_policy = ApplicationAutoscalingBackend.put_scaling_policy
_original_delete_scaling_policy = ApplicationAutoscalingBackend.delete_scaling_policy
_original_put_scheduled_action = ApplicationAutoscalingBackend.put_scheduled_action
_original_delete_scheduled_action = ApplicationAutoscalingBackend.delete_scheduled_action


def register_scalable_target(self, namespace, r_id, dimension, *args, tags=None, **kwargs):
    existed = self._scalable_target_exists(r_id, dimension)
    target = _original_register(self, namespace, r_id, dimension, *args, **kwargs)
    if not existed and tags:
        if len(tags) > MAX_TAGS:
            self.targets[dimension].pop(r_id, None)
            raise TooManyTagsException(target.arn)
        _tags(target).update(tags)
    return target


def deregister_scalable_target(self, namespace, r_id, dimension):
    if not self._scalable_target_exists(r_id, dimension):
        raise ObjectNotFoundException(
            f"No scalable target found for {_target_description(namespace, r_id, dimension)}"
        )
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        a
        for a in self.scheduled_actions
        if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
    ]
    return _original_deregister(self, namespace, r_id, dimension)


def put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs):
    _require_target(self, service_namespace, resource_id, scalable_dimension)
    return _original_put_scaling_policy(
        self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs
    )


def delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension):
    key = FakeApplicationAutoscalingPolicy.formulate_key(
        service_namespace, resource_id, scalable_dimension, policy_name
    )
    if key not in self.policies:
        raise ObjectNotFoundException(
            f"No scaling policy found for {_target_description(service_namespace, resource_id, scalable_dimension)}, "
            f"policy name: {policy_name}"
        )
    return _original_delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)


def put_scheduled_action(self, service_namespace, schedule, timezone, scheduled_action_name, resource_id, scalable_dimension, *args, **kwargs):
    _require_target(self, service_namespace, resource_id, scalable_dimension)
    return _original_put_scheduled_action(
        self, service_namespace, schedule, timezone, scheduled_action_name, resource_id, scalable_dimension, *args, **kwargs
    )


def delete_scheduled_action(self, service_namespace, scheduled_action_name, resource_id, scalable_dimension):
    if not any(
        (a.service_namespace, a.scheduled_action_name, a.resource_id, a.scalable_dimension)
        == (service_namespace, scheduled_action_name, resource_id, scalable_dimension)
        for a in self.scheduled_actions
    ):
        raise ObjectNotFoundException(
            f"No scheduled action found for {_target_description(service_namespace, resource_id, scalable_dimension)}, "
            f"scheduled action name: {scheduled_action_name}"
        )
    return _original_delete_scheduled_action(
        self, service_namespace, scheduled_action_name, resource_id, scalable_dimension
    )


def tag_resource(self, arn, tags):
    target = _target_by_arn(self, arn)
    merged = dict(_tags(target))
    merged.update(tags or {})
    if len(merged) > MAX_TAGS:
        raise TooManyTagsException(arn)
    _tags(target).update(tags or {})


def untag_resource(self, arn, keys):
    target = _target_by_arn(self, arn)
    for key in keys or []:
        _tags(target).pop(key, None)


def list_tags_for_resource(self, arn):
    return dict(_tags(_target_by_arn(self, arn)))


# --- responses ------------------------------------------------------------------------------------


def register_scalable_target_response(self):
    """moto's handler, with the request's Tags passed on."""
    self._validate_params()
    target = self.applicationautoscaling_backend.register_scalable_target(
        self._get_param("ServiceNamespace"),
        self._get_param("ResourceId"),
        self._get_param("ScalableDimension"),
        min_capacity=self._get_int_param("MinCapacity"),
        max_capacity=self._get_int_param("MaxCapacity"),
        role_arn=self._get_param("RoleARN"),
        suspended_state=self._get_param("SuspendedState"),
        tags=self._get_param("Tags"),
    )
    return json.dumps({"ScalableTargetARN": target.arn})


def tag_resource_response(self):
    self.applicationautoscaling_backend.tag_resource(self._get_param("ResourceARN"), self._get_param("Tags"))
    return json.dumps({})


def untag_resource_response(self):
    self.applicationautoscaling_backend.untag_resource(self._get_param("ResourceARN"), self._get_param("TagKeys"))
    return json.dumps({})


def list_tags_for_resource_response(self):
    tags = self.applicationautoscaling_backend.list_tags_for_resource(self._get_param("ResourceARN"))
    return json.dumps({"Tags": tags})


def describe_scaling_policies_response(self):
    backend = self.applicationautoscaling_backend
    namespace = self._get_param("ServiceNamespace")
    resource_id = self._get_param("ResourceId")
    dimension = self._get_param("ScalableDimension")
    names = self._get_param("PolicyNames") or []
    policies = [
        p
        for p in backend.policies.values()
        if p.service_namespace == namespace
        and (not resource_id or p.resource_id == resource_id)
        and (not dimension or p.scalable_dimension == dimension)
        and (not names or p.policy_name in names)
    ]
    start = int(self._get_param("NextToken") or 0)
    end = start + (self._get_int_param("MaxResults") or 50)
    page = {"ScalingPolicies": [_build_policy(p) for p in policies[start:end]]}
    if end < len(policies):
        page["NextToken"] = str(end)
    return json.dumps(page)


def install():
    backend = ApplicationAutoscalingBackend
    backend.register_scalable_target = register_scalable_target
    backend.deregister_scalable_target = deregister_scalable_target
    backend.put_scaling_policy = put_scaling_policy
    backend.delete_scaling_policy = delete_scaling_policy
    backend.put_scheduled_action = put_scheduled_action
    backend.delete_scheduled_action = delete_scheduled_action
    backend.tag_resource = tag_resource
    backend.untag_resource = untag_resource
    backend.list_tags_for_resource = list_tags_for_resource

    response = ApplicationAutoScalingResponse
    response.register_scalable_target = register_scalable_target_response
    response.tag_resource = tag_resource_response
    response.untag_resource = untag_resource_response
    response.list_tags_for_resource = list_tags_for_resource_response
    response.describe_scaling_policies = describe_scaling_policies_response
