"""ECS services as AWS runs them: every CreateService field, idempotency, deployments that roll out.

moto 5.2 stores a subset of CreateService's parameters, replaces an existing service of the same name
without a word, creates one deployment whose counts come from environment variables
(``MOTO_ECS_SERVICE_RUNNING``), and never starts another one. This extension makes ECS services
behave as the ECS API Reference and Developer Guide describe:

* **CreateService stores what it accepts** (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html):
  ``deploymentConfiguration`` (AWS's defaults filled in: ``maximumPercent`` 200,
  ``minimumHealthyPercent`` 100, ``deploymentCircuitBreaker {enable: false, rollback: false}``),
  ``healthCheckGracePeriodSeconds``, ``enableExecuteCommand``, ``enableECSManagedTags``,
  ``capacityProviderStrategy`` (such a service has no ``launchType``; giving both is an
  ``InvalidParameterException``; with neither, the cluster's default strategy applies, else
  ``EC2``), ``networkConfiguration``, ``loadBalancers``, ``propagateTags``, ``tags``,
  ``placementConstraints``/``placementStrategy``, ``serviceConnectConfiguration`` (on the
  deployment, where the API model puts it) and ``clientToken``.
* **Idempotency**: a CreateService for the name of an ACTIVE service with the same ``clientToken``
  returns that service unchanged; with another token or none it fails with
  ``InvalidParameterException: Creation of service was not idempotent.``
* **Deployments with a lifecycle** (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html): CreateService
  starts a PRIMARY deployment (``rolloutState`` IN_PROGRESS, ``runningCount`` 0, ``pendingCount``
  the desired count) that is COMPLETED with every task running after the rollout time. UpdateService
  with another task definition, deployment configuration, network configuration, load balancers,
  service registries, capacity provider strategy, platform version or Service Connect configuration,
  or with ``forceNewDeployment``, starts a new PRIMARY deployment; the one before becomes ACTIVE and
  keeps its tasks until the new one completes, then it is drained and gone. A new ``desiredCount``
  alone changes the PRIMARY deployment's counts. The service's ``runningCount``/``pendingCount`` are
  the sums over its deployments, and its ``taskDefinition`` is the PRIMARY deployment's.
* **Failing tasks**: tasks of a task definition with a container image whose reference contains
  ``emulator-fail`` (``myimg:v2-emulator-fail``) never become healthy. Their deployment's
  ``failedTasks`` grows, reaching the circuit breaker's threshold (half the desired count, at least
  3 and at most 200, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html)
  at the end of the rollout time. With the circuit breaker enabled the deployment then ends FAILED
  (``rolloutStateReason`` "ECS deployment circuit breaker: tasks failed to start.") and the service
  shows the event "(service S) (deployment ecs-svc/N) deployment failed: tasks failed to start.";
  with ``rollback`` too, a new PRIMARY deployment of the last completed deployment's task definition
  starts ("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/M.", event
  "(service S) rolling back to deployment ecs-svc/M."), takes over the tasks still running, and
  completes like any other; the failed deployment is gone once it has. Without the circuit breaker
  the deployment stays IN_PROGRESS and ``failedTasks`` keeps growing.
* **Events** as the service event log shows them
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html):
  "(service S) (deployment ecs-svc/N) deployment completed." and "(service S) has reached a steady
  state.", newest first.

* **Task definitions with EFS volumes** (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSVolumeConfiguration.html,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EFSAuthorizationConfig.html,
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_MountPoint.html): RegisterTaskDefinition
  refuses with ``ClientException`` a volume whose ``authorizationConfig`` names an ``accessPointId``
  while its ``rootDirectory`` is set to anything but ``/``; a volume with an access point or with
  ``authorizationConfig.iam`` ``ENABLED`` whose ``transitEncryption`` is not ``ENABLED``; and a
  container ``mountPoints`` entry whose ``sourceVolume`` names no volume of the task definition
  ("Unknown volume 'NAME'."). moto registered all three. What is accepted reads back as registered
  (moto's own round trip, with ``rootDirectory`` ``/`` filled in when omitted, as AWS does).

Timing: a deployment's rollout takes :func:`~.settings.delay` seconds (read when it starts), or the
value of the service tag ``stackwright-emulator/rollout-seconds`` when the service has one. States
are evaluated lazily whenever a service is read or changed; nothing runs in the background. A
rollout is a :class:`~.lifecycle.Walk`, so the emulator's test control ``lifecycles/finish`` ends
rollouts in progress too. ``MOTO_ECS_SERVICE_RUNNING`` and ``MOTO_ECS_SERVICE_FAILED_TASKS`` no
longer matter for services.
"""

import math
import time
import uuid

from moto.core.responses import ActionResult
from moto.core.utils import utcfromtimestamp, utcnow
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.exceptions import ECSException, EcsClientException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random

from . import lifecycle
from .settings import delay

ROLLOUT_SECONDS_TAG = "stackwright-emulator/rollout-seconds"
FAIL_MARKER = "emulator-fail"

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}

# UpdateService parameters (moto's snake_case names) whose change starts a new deployment.
DEPLOYING_FIELDS = (
    "deployment_configuration",
    "network_configuration",
    "load_balancers",
    "service_registries",
    "capacity_provider_strategy",
    "platform_version",
    "service_connect_configuration",
    "volume_configurations",
    "vpc_lattice_configurations",
)


class ServiceNotActiveException(ECSException):
    def __init__(self):
        super().__init__("ServiceNotActiveException", "Service was not ACTIVE.")


class Deployment:
    """One ECS deployment (the API's ``Deployment`` shape; attributes in moto's snake_case)."""

    def __init__(self, service, task_definition, seconds, reason=None, started_epoch=None):
        self.id = f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"
        self.status = "PRIMARY"
        self.task_definition = task_definition
        self.desired_count = service.desired_count
        self.pending_count = service.desired_count
        self.running_count = 0
        self.failed_tasks = 0
        self.launch_type = service.launch_type
        self.capacity_provider_strategy = service.capacity_provider_strategy or None
        self.platform_version, self.platform_family = _deployment_platform(service)
        self.network_configuration = service.network_configuration or None
        self.service_connect_configuration = service.__dict__.get("_sw_service_connect")
        self.volume_configurations = service.__dict__.get("_sw_volume_configurations")
        self.vpc_lattice_configurations = service.__dict__.get("_sw_vpc_lattice")
        self.rollout_state = "IN_PROGRESS"
        self.rollout_state_reason = reason or f"ECS deployment {self.id} in progress."
        started = time.time() if started_epoch is None else started_epoch
        self.created_at = utcfromtimestamp(started)
        self.updated_at = self.created_at
        self._started_epoch = started
        self._seconds = seconds
        self._fails = False
        self._walk = lifecycle.Walk(["IN_PROGRESS"], step_seconds=seconds)
        # a rollout that started in the past (a rollback started by a failure evaluated late)
        self._walk.started -= max(0.0, time.time() - started)

    def fraction(self):
        """How far the rollout has come, 0.0 to 1.0."""
        if self._walk.settle():
            return 1.0
        return min(1.0, max(0.0, (time.time() - self._started_epoch) / self._seconds))

    def end_epoch(self):
        return min(time.time(), self._started_epoch + self._seconds)

    def stop(self):
        self._walk.cancel()


def _deployment_platform(service):
    if not _is_fargate(service):
        return None, None
    version = service.platform_version or "LATEST"
    return ("1.4.0" if version == "LATEST" else version), "Linux"


def _is_fargate(service):
    if service.launch_type == "FARGATE":
        return True
    strategy = service.capacity_provider_strategy or []
    return any(item.get("capacityProvider") in ("FARGATE", "FARGATE_SPOT") for item in strategy)


def rollout_seconds(service):
    for tag in service.tags or []:
        if tag.get("key") == ROLLOUT_SECONDS_TAG:
            try:
                return max(0.0, float(tag.get("value")))
            except (TypeError, ValueError):
                break
    return delay()


def circuit_breaker_threshold(desired):
    return min(200, max(3, math.ceil(0.5 * desired)))


def _task_definition_fails(backend, arn):
    if not arn:
        return False
    try:
        task_definition = backend.describe_task_definition(arn)
    except Exception:
        return False
    return any(FAIL_MARKER in (c.get("image") or "") for c in task_definition.container_definitions)


def _event(service, message, epoch=None):
    created = utcnow() if epoch is None else utcfromtimestamp(epoch)
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": created, "message": message})


def _deployments(service):
    return service.__dict__.setdefault("_sw_deployments", [])


def _primary(service):
    for deployment in _deployments(service):
        if deployment.status == "PRIMARY":
            return deployment
    return None


def _set_counts(backend, service):
    """The service's counts are the sums over its deployments; the cluster's follow them."""
    deployments = _deployments(service)
    running = sum(d.running_count for d in deployments)
    pending = sum(d.pending_count for d in deployments)
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is not None:
        backend.update_cluster_resources(cluster, running - service.running_count, "RUNNING")
        backend.update_cluster_resources(cluster, pending - service.pending_count, "PENDING")
    service.running_count = running
    service.pending_count = pending
    service.deployments = deployments
    primary = _primary(service)
    if primary is not None:
        service.task_definition = primary.task_definition


def start_deployment(backend, service, task_definition=None, reason=None, started_epoch=None):
    """Starts a new PRIMARY deployment; the one before becomes ACTIVE and keeps its tasks."""
    for deployment in _deployments(service):
        if deployment.status == "PRIMARY":
            deployment.status = "ACTIVE"
            deployment.pending_count = 0
            deployment.stop()
    arn = task_definition or service.task_definition
    deployment = Deployment(service, arn, rollout_seconds(service), reason, started_epoch)
    deployment._fails = _task_definition_fails(backend, arn)
    _deployments(service).insert(0, deployment)
    service.task_definition = arn
    advance(backend, service)
    return deployment


def _complete(service, deployment):
    at = deployment.end_epoch()
    deployment.rollout_state = "COMPLETED"
    deployment.rollout_state_reason = f"ECS deployment {deployment.id} completed."
    deployment.running_count = deployment.desired_count
    deployment.pending_count = 0
    deployment.updated_at = utcfromtimestamp(at)
    for other in list(_deployments(service)):
        if other is not deployment:
            other.stop()
            _deployments(service).remove(other)
    service.__dict__["_sw_last_completed"] = deployment
    _event(service, f"(service {service.name}) (deployment {deployment.id}) deployment completed.", at)
    _event(service, f"(service {service.name}) has reached a steady state.", at)


def _fail(backend, service, deployment):
    """The circuit breaker ends ``deployment``; with rollback on, the last completed deployment's
    task definition is deployed again."""
    at = deployment.end_epoch()
    deployment.rollout_state = "FAILED"
    deployment.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start."
    deployment.failed_tasks = max(deployment.failed_tasks, circuit_breaker_threshold(deployment.desired_count))
    deployment.pending_count = 0
    deployment.running_count = 0
    deployment.updated_at = utcfromtimestamp(at)
    _event(
        service,
        f"(service {service.name}) (deployment {deployment.id}) deployment failed: tasks failed to start.",
        at,
    )
    breaker = service.deployment_configuration.get("deploymentCircuitBreaker") or {}
    last = service.__dict__.get("_sw_last_completed")
    if not breaker.get("rollback") or last is None:
        return
    _event(service, f"(service {service.name}) rolling back to deployment {last.id}.", at)
    # The rollback takes over the tasks of the deployments that still run the old revision.
    inherited = 0
    for other in list(_deployments(service)):
        if other is not deployment and other.status == "ACTIVE" and other.rollout_state != "FAILED":
            inherited += other.running_count
            other.stop()
            _deployments(service).remove(other)
    deployment.status = "ACTIVE"
    deployment.stop()
    rollback = Deployment(
        service,
        last.task_definition,
        rollout_seconds(service),
        reason=f"ECS deployment circuit breaker: rolling back to deploymentId {last.id}.",
        started_epoch=at,
    )
    rollback.network_configuration = last.network_configuration
    rollback.running_count = min(inherited, rollback.desired_count)
    rollback.pending_count = rollback.desired_count - rollback.running_count
    rollback._fails = _task_definition_fails(backend, last.task_definition)
    _deployments(service).insert(0, rollback)


def advance(backend, service):
    """Brings the service's deployments up to the present."""
    if service.deployment_controller.get("type", "ECS") != "ECS":
        return
    while True:
        primary = _primary(service)
        if primary is None or primary.rollout_state != "IN_PROGRESS":
            break
        fraction = primary.fraction()
        if primary._fails and primary.desired_count > 0:
            threshold = circuit_breaker_threshold(primary.desired_count)
            breaker = service.deployment_configuration.get("deploymentCircuitBreaker") or {}
            if breaker.get("enable"):
                if fraction >= 1.0:
                    _fail(backend, service, primary)
                    continue
                primary.failed_tasks = math.floor(threshold * fraction)
            else:
                # No circuit breaker: ECS keeps launching tasks that keep failing.
                elapsed = time.time() - primary._started_epoch
                grown = math.floor(threshold * elapsed / primary._seconds) if primary._seconds > 0 else 0
                primary.failed_tasks = max(grown, threshold if fraction >= 1.0 else 0)
            break
        if fraction >= 1.0:
            _complete(service, primary)
            continue
        break
    _set_counts(backend, service)


def _merged_deployment_configuration(current, given):
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in current.items()}
    for key, value in (given or {}).items():
        if value is not None:
            merged[key] = value
    return merged


# --- backend --------------------------------------------------------------------------------------

_original_create_service = EC2ContainerServiceBackend.create_service
_original_update_service = EC2ContainerServiceBackend.update_service
_original_delete_service = EC2ContainerServiceBackend.delete_service
_original_describe_services = EC2ContainerServiceBackend.describe_services
_original_list_services = EC2ContainerServiceBackend.list_services


def create_service(
    self,
    cluster_str,
    service_name,
    desired_count,
    task_definition_str=None,
    load_balancers=None,
    scheduling_strategy=None,
    tags=None,
    deployment_controller=None,
    launch_type=None,
    service_registries=None,
    platform_version=None,
    propagate_tags="NONE",
    network_configuration=None,
    role_arn=None,
    client_token=None,
    capacity_provider_strategy=None,
    deployment_configuration=None,
    health_check_grace_period_seconds=None,
    enable_execute_command=None,
    enable_ecs_managed_tags=None,
    service_connect_configuration=None,
    placement_constraints=None,
    placement_strategy=None,
    availability_zone_rebalancing=None,
    volume_configurations=None,
    vpc_lattice_configurations=None,
):
    cluster = self._get_cluster(cluster_str)
    existing = self.services.get(f"{cluster.name}:{service_name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        token = existing.__dict__.get("_sw_client_token")
        if client_token is not None and client_token == token:
            advance(self, existing)
            return existing
        raise InvalidParameterException("Creation of service was not idempotent.")
    if launch_type and capacity_provider_strategy:
        raise InvalidParameterException(
            "Specifying both a launch type and capacity provider strategy is not supported. "
            "Remove one and try again."
        )
    if not launch_type and not capacity_provider_strategy:
        capacity_provider_strategy = cluster.default_capacity_provider_strategy or None

    service = _original_create_service(
        self,
        cluster_str,
        service_name,
        desired_count,
        task_definition_str,
        load_balancers,
        scheduling_strategy,
        tags,
        deployment_controller,
        launch_type if not capacity_provider_strategy else None,
        service_registries,
        platform_version,
        propagate_tags,
        network_configuration,
        role_arn,
    )
    if capacity_provider_strategy:
        service.launch_type = None
    service.network_configuration = service.network_configuration or None
    service.capacity_provider_strategy = capacity_provider_strategy or None
    if _is_fargate(service):
        service.platform_version = platform_version or "LATEST"
        service.platform_family = "Linux"
    service.deployment_configuration = _merged_deployment_configuration(
        DEFAULT_DEPLOYMENT_CONFIGURATION, deployment_configuration
    )
    service.health_check_grace_period_seconds = health_check_grace_period_seconds
    service.enable_execute_command = bool(enable_execute_command)
    service.enable_ecs_managed_tags = bool(enable_ecs_managed_tags)
    service.placement_constraints = placement_constraints or []
    service.placement_strategy = placement_strategy or []
    service.availability_zone_rebalancing = availability_zone_rebalancing
    service.created_at = utcnow()
    service.__dict__["_sw_client_token"] = client_token
    service.__dict__["_sw_service_connect"] = service_connect_configuration
    service.__dict__["_sw_volume_configurations"] = volume_configurations
    service.__dict__["_sw_vpc_lattice"] = vpc_lattice_configurations

    # moto's own deployment (and its counts from MOTO_ECS_SERVICE_RUNNING) give way to ours.
    service.deployments = []
    if service.deployment_controller.get("type", "ECS") == "ECS" and service.task_definition:
        start_deployment(self, service)
    else:
        _set_counts(self, service)
    return service


def update_service(self, service_properties):
    props = dict(service_properties)
    cluster_str = props.pop("cluster", None) or "default"
    service_str = props.pop("service")
    service = self._get_service(cluster_str, service_str.split("/")[-1])
    if service.status != "ACTIVE":
        raise ServiceNotActiveException()
    advance(self, service)

    deploy = bool(props.pop("force_new_deployment", False))
    task_definition = props.pop("task_definition", None)
    if task_definition:
        arn = self.describe_task_definition(task_definition).arn
        primary = _primary(service)
        current = primary.task_definition if primary is not None else service.task_definition
        deploy = deploy or arn != current
    else:
        arn = None

    if props.get("capacity_provider_strategy"):
        service.launch_type = None
    for name in DEPLOYING_FIELDS:
        value = props.pop(name, None)
        if value is None:
            continue
        if name == "deployment_configuration":
            value = _merged_deployment_configuration(service.deployment_configuration, value)
        if name == "service_connect_configuration":
            changed = value != service.__dict__.get("_sw_service_connect")
            service.__dict__["_sw_service_connect"] = value
        elif name == "volume_configurations":
            changed = value != service.__dict__.get("_sw_volume_configurations")
            service.__dict__["_sw_volume_configurations"] = value
        elif name == "vpc_lattice_configurations":
            changed = value != service.__dict__.get("_sw_vpc_lattice")
            service.__dict__["_sw_vpc_lattice"] = value
        else:
            changed = value != getattr(service, name, None)
            setattr(service, name, value)
        deploy = deploy or changed

    desired_count = props.pop("desired_count", None)
    if desired_count is not None:
        service.desired_count = desired_count
    for name in (
        "health_check_grace_period_seconds",
        "enable_execute_command",
        "enable_ecs_managed_tags",
        "propagate_tags",
        "placement_constraints",
        "placement_strategy",
        "availability_zone_rebalancing",
        "deployment_controller",
    ):
        value = props.pop(name, None)
        if value is not None:
            setattr(service, name, value)

    if deploy and service.deployment_controller.get("type", "ECS") == "ECS":
        start_deployment(self, service, arn)
    else:
        if arn:
            service.task_definition = arn
        primary = _primary(service)
        if primary is not None and desired_count is not None:
            primary.desired_count = desired_count
            if primary.rollout_state == "COMPLETED":
                primary.running_count = desired_count
                primary.pending_count = 0
            elif primary.rollout_state == "IN_PROGRESS":
                primary.pending_count = max(0, desired_count - primary.running_count)
            primary.updated_at = utcnow()
        advance(self, service)
    return service


def delete_service(self, cluster_name, service_name, force):
    service = self._get_service(cluster_name, service_name)
    advance(self, service)
    service = _original_delete_service(self, cluster_name, service_name, force)
    # moto took the service's tasks off the cluster's counts already.
    for deployment in _deployments(service):
        deployment.stop()
    primary = _primary(service)
    service.__dict__["_sw_deployments"] = [primary] if primary is not None else []
    if primary is not None:
        primary.desired_count = primary.running_count = primary.pending_count = 0
    service.deployments = _deployments(service)
    service.desired_count = service.running_count = service.pending_count = 0
    return service


def describe_services(self, cluster_str, service_names_or_arns):
    services, failures = _original_describe_services(self, cluster_str, service_names_or_arns)
    for service in services:
        if service.status == "ACTIVE":
            advance(self, service)
    return services, failures


def list_services(self, cluster_str, scheduling_strategy=None, launch_type=None):
    cluster = self._get_cluster(cluster_str)
    for service in list(self.services.values()):
        if service.cluster_name == cluster.name and service.status == "ACTIVE":
            advance(self, service)
    return _original_list_services(self, cluster_str, scheduling_strategy, launch_type)


_original_register_task_definition = EC2ContainerServiceBackend.register_task_definition


def register_task_definition(self, family, container_definitions, volumes=None, *args, **kwargs):
    """moto's RegisterTaskDefinition, after the EFS volume and mount point rules of the API
    Reference (EFSVolumeConfiguration, EFSAuthorizationConfig, MountPoint)."""
    _check_efs_volumes(volumes or [])
    _check_mount_points(volumes or [], container_definitions or [])
    return _original_register_task_definition(self, family, container_definitions, volumes, *args, **kwargs)


def _check_efs_volumes(volumes):
    for volume in volumes:
        efs = volume.get("efsVolumeConfiguration")
        if not efs:
            continue
        name = volume.get("name")
        authorization = efs.get("authorizationConfig") or {}
        access_point = authorization.get("accessPointId")
        root = efs.get("rootDirectory")
        if access_point and root is not None and root != "/":
            raise EcsClientException(
                f"Invalid EFS volume '{name}': when an access point is specified, the root directory "
                "must be omitted or set to '/'."
            )
        if (access_point or authorization.get("iam") == "ENABLED") and efs.get("transitEncryption") != "ENABLED":
            raise EcsClientException(
                f"Invalid EFS volume '{name}': transit encryption must be enabled when an access point "
                "or IAM authorization is used."
            )


def _check_mount_points(volumes, container_definitions):
    names = {volume.get("name") for volume in volumes}
    for container in container_definitions:
        for mount_point in container.get("mountPoints") or []:
            source = mount_point.get("sourceVolume")
            if source is None or source not in names:
                raise EcsClientException(f"Unknown volume '{source if source is not None else 'null'}'.")


# --- response -------------------------------------------------------------------------------------


def create_service_response(self):
    """moto's CreateService handler, passing every parameter of the API model on."""
    param = self._get_param
    service = self.ecs_backend.create_service(
        param("cluster", "default"),
        param("serviceName"),
        self._get_int_param("desiredCount"),
        param("taskDefinition"),
        param("loadBalancers"),
        param("schedulingStrategy"),
        param("tags"),
        param("deploymentController"),
        param("launchType"),
        service_registries=param("serviceRegistries"),
        platform_version=param("platformVersion"),
        propagate_tags=param("propagateTags") or "NONE",
        network_configuration=param("networkConfiguration"),
        role_arn=param("role"),
        client_token=param("clientToken"),
        capacity_provider_strategy=param("capacityProviderStrategy"),
        deployment_configuration=param("deploymentConfiguration"),
        health_check_grace_period_seconds=param("healthCheckGracePeriodSeconds"),
        enable_execute_command=param("enableExecuteCommand"),
        enable_ecs_managed_tags=param("enableECSManagedTags"),
        service_connect_configuration=param("serviceConnectConfiguration"),
        placement_constraints=param("placementConstraints"),
        placement_strategy=param("placementStrategy"),
        availability_zone_rebalancing=param("availabilityZoneRebalancing"),
        volume_configurations=param("volumeConfigurations"),
        vpc_lattice_configurations=param("vpcLatticeConfigurations"),
    )
    return ActionResult({"service": service})


def install():
    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.update_service = update_service
    EC2ContainerServiceBackend.delete_service = delete_service
    EC2ContainerServiceBackend.describe_services = describe_services
    EC2ContainerServiceBackend.list_services = list_services
    EC2ContainerServiceBackend.register_task_definition = register_task_definition
    EC2ContainerServiceResponse.create_service = create_service_response
