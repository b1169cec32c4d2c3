"""AWS Cloud Map HTTP namespaces, and the Cloud Map services ECS Service Connect creates in them.

moto 5.2.5 creates a second HTTP namespace of the same name for every CreateHttpNamespace, ignores
the ``Filters`` of ListNamespaces and ListServices, deletes a namespace that still has services and
a service that still has instances, and its ECS knows nothing of Cloud Map. Following the AWS Cloud
Map API Reference (https://docs.aws.amazon.com/cloud-map/latest/api/) and the ECS Developer Guide:

* **CreateHttpNamespace** (API_CreateHttpNamespace.html: ``CreatorRequestId`` "allows failed
  CreateHttpNamespace requests to be retried without the risk of running the operation twice"): a
  request for the name of an existing HTTP namespace with the ``CreatorRequestId`` that created it
  returns the ``OperationId`` of that creation (GetOperation finds it) and creates nothing; with
  another ``CreatorRequestId``, or none, it is ``NamespaceAlreadyExists`` (HTTP 400, with the
  error's ``CreatorRequestId`` and ``NamespaceId`` members as the API model defines them). Only HTTP
  namespaces are compared (moto's DNS namespaces have no HTTP name). A request id reused for
  another name is not refused.
* **ListNamespaces ``Filters``** (API_ListNamespaces.html, API_NamespaceFilter.html): ``NAME``
  (``Namespace.Name``), ``HTTP_NAME`` (``Properties.HttpProperties.HttpName``), ``TYPE`` (``HTTP``,
  ``DNS_PUBLIC``, ``DNS_PRIVATE``) and ``RESOURCE_OWNER`` (``SELF`` is every namespace here,
  ``OTHER_ACCOUNTS`` none); ``Condition`` ``EQ`` (the default) and ``BEGINS_WITH`` take exactly
  one value, ``IN`` (documented for ``TYPE`` in earlier versions of the reference) any number, of
  which one must match; a namespace must match every filter. **ListServices ``Filters``**
  (API_ListServices.html, API_ServiceFilter.html): ``NAMESPACE_ID`` (a namespace ID or ARN) with
  ``EQ`` (one value) or ``IN`` (any of the values), and ``RESOURCE_OWNER`` as above. Anything else
  (more values than the condition takes, ``BETWEEN``, an unknown filter name or condition) is
  ``InvalidInput``. moto does not paginate either list, and neither does this: ``MaxResults`` and
  ``NextToken`` are ignored and every match is returned, without ``NextToken``.
* **DeleteNamespace** of a namespace that still has Cloud Map services is ``ResourceInUse``
  "Namespace has associated services; delete the services before deleting the namespace"
  (API_DeleteNamespace.html: "If the namespace still contains one or more services, the request
  fails."). **DeleteService** of a service with registered instances is ``ResourceInUse`` too
  (API_DeleteService.html: "If the service still contains one or more registered instances, the
  request fails."). ``ResourceInUse`` is HTTP 409, as the API model has it.
* **ECS Service Connect** (ECS Developer Guide, service-connect-concepts.html and
  service-connect-concepts-deploy.html; ECS API Reference, API_ServiceConnectConfiguration.html,
  API_ServiceConnectService.html): ECS CreateService and UpdateService with a
  ``serviceConnectConfiguration`` that is ``enabled`` resolve its ``namespace`` (a Cloud Map
  namespace ARN, ID or name in the service's account and Region; without one, the cluster's
  ``serviceConnectDefaults`` namespace). A namespace that does not exist is ECS
  ``NamespaceNotFoundException`` "Failed to retrieve namespace for NAME" (the ECS API model lists
  this error for both operations; it is what AWS answers), and nothing is created or changed. Each
  ``services[].portName`` must be the ``name`` of a ``portMappings`` entry of a container of the
  service's task definition (the new one an UpdateService names, else the current one), else it is
  ``InvalidParameterException``; an UpdateService that only changes the task definition of a
  service with Service Connect on checks the new task definition too. Then, for each entry, a Cloud
  Map service named ``discoveryName`` (default: ``portName``) is in the namespace: ECS creates it
  (type ``HTTP``, tagged ``AmazonECSManaged`` = ``true``, as ECS tags the resources it manages) or
  reuses the one already there. ECS DeleteService leaves these Cloud Map services in place, as AWS
  does, so their namespace can be deleted only after they are (ListServices by ``NAMESPACE_ID``,
  DeleteService each).

Not modelled: Cloud Map instances for ECS tasks (ECS registers none here, so an ECS-created Cloud
Map service never has instances); Cloud Map CreateService refusing a duplicate name
(``ServiceAlreadyExists``); ECS refusing a ``discoveryName`` another ACTIVE ECS service of the
namespace already uses; the deployment's ``serviceConnectResources``.
"""

import json
import uuid

from moto.core.exceptions import JsonRESTError
from moto.ecs.exceptions import ECSException, InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.servicediscovery.exceptions import InvalidInput
from moto.servicediscovery.models import ServiceDiscoveryBackend, servicediscovery_backends
from moto.servicediscovery.responses import ServiceDiscoveryResponse

NAMESPACE_IN_USE = "Namespace has associated services; delete the services before deleting the namespace"
SERVICE_IN_USE = "Service has registered instances; deregister the instances before deleting the service"
ECS_MANAGED_TAG = {"Key": "AmazonECSManaged", "Value": "true"}


class NamespaceAlreadyExists(JsonRESTError):
    code = 400

    def __init__(self, name, namespace):
        super().__init__("NamespaceAlreadyExists", f"Namespace with name {name} already exists.")
        body = {"__type": self.error_type, "message": self.message, "NamespaceId": namespace.id}
        if namespace.creator_request_id is not None:
            body["CreatorRequestId"] = namespace.creator_request_id
        self.description = json.dumps(body)


class ResourceInUse(JsonRESTError):
    code = 409

    def __init__(self, message):
        super().__init__("ResourceInUse", message)


class NamespaceNotFoundException(ECSException):
    code = "NamespaceNotFoundException"

    def __init__(self, message):
        super().__init__(message)


# --- Cloud Map backend ----------------------------------------------------------------------------

_create_http_namespace = ServiceDiscoveryBackend.create_http_namespace
_delete_namespace = ServiceDiscoveryBackend.delete_namespace
_delete_service = ServiceDiscoveryBackend.delete_service
_list_namespaces = ServiceDiscoveryBackend.list_namespaces
_list_services = ServiceDiscoveryBackend.list_services


def create_http_namespace(self, name, creator_request_id, description, tags):
    for namespace in list(self.namespaces.values()):
        if namespace.type == "HTTP" and namespace.name == name:
            operation = namespace.__dict__.get("_sw_create_operation")
            if creator_request_id is not None and creator_request_id == namespace.creator_request_id and operation:
                return operation
            raise NamespaceAlreadyExists(name, namespace)
    operation = _create_http_namespace(self, name, creator_request_id, description, tags)
    created = self.namespaces.get(self.operations[operation].targets.get("NAMESPACE"))
    if created is not None:
        created.__dict__["_sw_create_operation"] = operation
    return operation


def delete_namespace(self, namespace_id):
    if namespace_id in self.namespaces and any(s.namespace_id == namespace_id for s in self.services.values()):
        raise ResourceInUse(NAMESPACE_IN_USE)
    return _delete_namespace(self, namespace_id)


def delete_service(self, service_id):
    service = self.services.get(service_id)
    if service is not None and service.instances:
        raise ResourceInUse(SERVICE_IN_USE)
    return _delete_service(self, service_id)


def _filter_matcher(filter_, fields):
    """A predicate for one NamespaceFilter / ServiceFilter; ``fields`` maps each filter name the
    operation knows to (conditions it takes, the function reading the value from a resource)."""
    if not isinstance(filter_, dict):
        raise InvalidInput("Each filter must be an object with Name, Values and Condition.")
    name = filter_.get("Name")
    values = filter_.get("Values") or []
    condition = filter_.get("Condition") or "EQ"
    if name not in fields:
        raise InvalidInput(f"Filter name {name} is not supported; use one of {', '.join(fields)}.")
    conditions, read = fields[name]
    if condition not in conditions:
        raise InvalidInput(f"Condition {condition} is not supported for filter {name}.")
    if not values:
        raise InvalidInput(f"Filter {name} needs at least one value.")
    if condition in ("EQ", "BEGINS_WITH") and len(values) != 1:
        raise InvalidInput(f"Condition {condition} of filter {name} takes exactly one value.")
    if condition == "BEGINS_WITH":
        return lambda resource: (read(resource) or "").startswith(values[0])
    wanted = set(values)
    return lambda resource: read(resource) in wanted


def _owner(_resource):
    # Every namespace and service of a backend belongs to its account (no sharing here).
    return "SELF"


NAMESPACE_FILTERS = {
    "TYPE": (("EQ", "IN", "BEGINS_WITH"), lambda ns: ns.type),
    "NAME": (("EQ", "IN", "BEGINS_WITH"), lambda ns: ns.name),
    "HTTP_NAME": (("EQ", "IN", "BEGINS_WITH"), lambda ns: (ns.http_properties or {}).get("HttpName")),
    "RESOURCE_OWNER": (("EQ",), _owner),
}


def list_namespaces(self, filters=None):
    matchers = [_filter_matcher(f, NAMESPACE_FILTERS) for f in filters or []]
    return [ns for ns in _list_namespaces(self) if all(match(ns) for match in matchers)]


def list_services(self, filters=None):
    by_arn = {ns.arn: ns.id for ns in self.namespaces.values()}
    fields = {
        "NAMESPACE_ID": (("EQ", "IN"), lambda s: s.namespace_id),
        "RESOURCE_OWNER": (("EQ",), _owner),
    }
    matchers = []
    for filter_ in filters or []:
        if isinstance(filter_, dict) and filter_.get("Name") == "NAMESPACE_ID":
            # "Specify one namespace ID or ARN."
            filter_ = dict(filter_, Values=[by_arn.get(v, v) for v in filter_.get("Values") or []])
        matchers.append(_filter_matcher(filter_, fields))
    return [s for s in _list_services(self) if all(match(s) for match in matchers)]


# --- Cloud Map responses (moto's, passing Filters on) ----------------------------------------------


def list_namespaces_response(self):
    params = json.loads(self.body or "{}")
    namespaces = self.servicediscovery_backend.list_namespaces(filters=params.get("Filters"))
    return 200, {}, json.dumps({"Namespaces": [ns.to_json() for ns in namespaces]})


def list_services_response(self):
    params = json.loads(self.body or "{}")
    services = self.servicediscovery_backend.list_services(filters=params.get("Filters"))
    return json.dumps({"Services": [s.to_json() for s in services]})


# --- ECS Service Connect --------------------------------------------------------------------------


def _cloudmap(ecs):
    return servicediscovery_backends[ecs.account_id][ecs.region_name]


def _find_namespace(cloudmap, reference):
    for namespace in list(cloudmap.namespaces.values()):
        if reference in (namespace.arn, namespace.id):
            return namespace
    for namespace in list(cloudmap.namespaces.values()):
        if reference in (namespace.name, (namespace.http_properties or {}).get("HttpName")):
            return namespace
    return None


def _port_names(ecs, task_definition):
    definition = ecs.describe_task_definition(task_definition)
    names = set()
    for container in definition.container_definitions:
        for mapping in container.get("portMappings") or []:
            if mapping.get("name"):
                names.add(mapping["name"])
    return definition.arn, names


def _check(ecs, cluster_str, configuration, task_definition):
    """The namespace of an enabled Service Connect configuration, after checking it and the port
    names against the task definition; None when Service Connect is off."""
    if not configuration or not configuration.get("enabled"):
        return None
    reference = configuration.get("namespace")
    if not reference:
        cluster = ecs._get_cluster(cluster_str or "default")
        reference = (getattr(cluster, "service_connect_defaults", None) or {}).get("namespace")
    if not reference:
        raise InvalidParameterException(
            "Service Connect is enabled but no namespace was given, and the cluster has no "
            "serviceConnectDefaults namespace."
        )
    namespace = _find_namespace(_cloudmap(ecs), reference)
    if namespace is None:
        raise NamespaceNotFoundException(f"Failed to retrieve namespace for {reference}")
    entries = configuration.get("services") or []
    if entries and task_definition:
        arn, names = _port_names(ecs, task_definition)
        for entry in entries:
            port_name = entry.get("portName")
            if port_name not in names:
                known = ", ".join(sorted(names)) or "none"
                raise InvalidParameterException(
                    f"Service Connect portName '{port_name}' does not match the name of a port mapping "
                    f"of any container in task definition {arn} (port mapping names: {known})."
                )
    return namespace


def _ensure_services(ecs, namespace, configuration):
    """Each entry's Cloud Map service in the namespace: the one there, else a new ECS-managed one."""
    cloudmap = _cloudmap(ecs)
    for entry in configuration.get("services") or []:
        name = entry.get("discoveryName") or entry.get("portName")
        if not name:
            continue
        if any(s.namespace_id == namespace.id and s.name == name for s in list(cloudmap.services.values())):
            continue
        cloudmap.create_service(
            name=name,
            namespace_id=namespace.id,
            creator_request_id=str(uuid.uuid4()),
            description=None,
            dns_config=None,
            health_check_config=None,
            health_check_custom_config=None,
            tags=[dict(ECS_MANAGED_TAG)],
            service_type="HTTP",
        )


def _current_task_definition(service):
    deployments = service.__dict__.get("_sw_deployments") or []
    for deployment in deployments:
        if deployment.status == "PRIMARY":
            return deployment.task_definition
    return service.task_definition


def _wrap_ecs(create_service, update_service):
    def ecs_create_service(self, cluster_str, service_name, desired_count, task_definition_str=None, *args, **kwargs):
        configuration = kwargs.get("service_connect_configuration")
        namespace = _check(self, cluster_str, configuration, task_definition_str)
        service = create_service(self, cluster_str, service_name, desired_count, task_definition_str, *args, **kwargs)
        if namespace is not None:
            _ensure_services(self, namespace, configuration)
        return service

    def ecs_update_service(self, service_properties):
        configuration = service_properties.get("service_connect_configuration")
        task_definition = service_properties.get("task_definition")
        namespace = None
        if configuration is not None or task_definition:
            cluster_str = service_properties.get("cluster") or "default"
            service = self._get_service(cluster_str, service_properties["service"].split("/")[-1])
            if service.status != "ACTIVE":  # the ecs extension's ServiceNotActiveException
                return update_service(self, service_properties)
            effective = configuration if configuration is not None else service.__dict__.get("_sw_service_connect")
            namespace = _check(self, cluster_str, effective, task_definition or _current_task_definition(service))
        service = update_service(self, service_properties)
        if namespace is not None and configuration is not None:
            _ensure_services(self, namespace, configuration)
        return service

    ecs_create_service._sw_servicediscovery = True
    ecs_update_service._sw_servicediscovery = True
    return ecs_create_service, ecs_update_service


def install():
    ServiceDiscoveryBackend.create_http_namespace = create_http_namespace
    ServiceDiscoveryBackend.delete_namespace = delete_namespace
    ServiceDiscoveryBackend.delete_service = delete_service
    ServiceDiscoveryBackend.list_namespaces = list_namespaces
    ServiceDiscoveryBackend.list_services = list_services
    ServiceDiscoveryResponse.list_namespaces = list_namespaces_response
    ServiceDiscoveryResponse.list_services = list_services_response
    # Wraps the ECS methods as installed now (the ecs extension's, when it is installed first).
    if not getattr(EC2ContainerServiceBackend.create_service, "_sw_servicediscovery", False):
        EC2ContainerServiceBackend.create_service, EC2ContainerServiceBackend.update_service = _wrap_ecs(
            EC2ContainerServiceBackend.create_service, EC2ContainerServiceBackend.update_service
        )
