"""RDS DB instances: lifecycle, pending modifications, final snapshots, dropped fields.

moto 5.2.5 creates a DB instance ``available`` at once, applies every ModifyDBInstance at once
whatever ``ApplyImmediately`` says, removes an instance the moment it is deleted, does not require a
final snapshot decision, and drops ``EnablePerformanceInsights``. This extension follows the RDS API
instead (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/):

* CreateDBInstance: ``creating`` -> ``backing-up`` -> ``available``, one delay each. No
  ``Endpoint`` while ``creating`` (the DBInstance data type: "The endpoint might not be shown for
  instances with the status of creating").
* ModifyDBInstance needs the instance ``available`` (else ``InvalidDBInstanceState``, "Database
  instance is not in available state."). Settings the API reference says are "applied during the
  next maintenance window, unless ApplyImmediately" (class, storage, storage type, IOPS,
  throughput, Multi-AZ, engine version, backup retention to or from 0, subnet group, CA
  certificate, licence model) go to ``PendingModifiedValues``. ``ApplyImmediately`` defaults to
  false. With ``ApplyImmediately=true`` the request's changes and any pending ones are applied:
  ``modifying`` (pending values shown) -> ``available`` with the new values. Without it they wait
  for a maintenance window, which tests open with the control route
  ``POST /stackwright-emulator/rds/maintenance-window`` (see control.py). Every other setting
  (security groups, deletion protection, Performance Insights, log exports, windows, parameter
  group name, storage autoscaling limit, ...) applies at once, as in moto.
* DeleteDBInstance: ``SkipFinalSnapshot`` defaults to false, so a ``FinalDBSnapshotIdentifier`` is
  required unless it is true, and both together are refused (``InvalidParameterCombination``). The
  instance is ``deleting`` for one delay (two with a final snapshot: "the status of the DB instance
  is deleting until the DB snapshot is created"), then DescribeDBInstances answers
  ``DBInstanceNotFound``. A second delete answers ``InvalidDBInstanceState`` ("Instance ... is
  already being deleted."). The final snapshot is a manual snapshot, ``creating`` ->
  ``available``, and outlives the instance.
* CreateDBSnapshot: a manual snapshot is ``creating`` -> ``available``; the instance must be
  ``available``.
* Fields moto drops or fakes: ``PerformanceInsightsEnabled`` (with its retention period and KMS
  key), a ``DbiResourceId`` of its own for every instance (moto gives all the same one), and the
  managed master secret holding the instance's master username (moto writes "admin").
* DB subnet groups: CreateDBSubnetGroup of a name that exists is ``DBSubnetGroupAlreadyExists``
  (moto replaced the group). ModifyDBSubnetGroup keeps the group with its new subnets and
  description (moto removed it from its table). Both check the subnets as RDS does: every subnet
  must exist (``InvalidParameterValue`` "Some input subnets in :[...] are invalid."), all in one VPC
  (``InvalidSubnet``; a modify also in the group's VPC, ``InvalidParameterValue``), covering at
  least two Availability Zones (``DBSubnetGroupDoesNotCoverEnoughAZs``). DeleteDBSubnetGroup while
  a DB instance or cluster uses the group is ``InvalidDBSubnetGroupStateFault``.
* DB parameter groups: DeleteDBParameterGroup while a DB instance uses the group is
  ``InvalidDBParameterGroupState``. ResetDBParameterGroup exists (moto lacks it): the named
  parameters, or all with ``ResetAllParameters``, return to the engine default. DescribeDBParameters
  honours ``Source`` and pages with ``MaxRecords``/``Marker``; for the families in
  ``POSTGRES_PARAMETERS`` (postgres15, postgres16) it lists the engine's parameters with their
  defaults, ``ApplyType``, ``DataType``, ``AllowedValues`` and ``IsModifiable`` (a partial table:
  a parameter it does not know reads back as moto stored it, without those fields).
  ModifyDBParameterGroup and ResetDBParameterGroup refuse ``ApplyMethod=immediate`` for a static
  parameter (``InvalidParameterCombination``, "cannot use immediate apply method for static
  parameter").
"""

import json
import secrets
import string

from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.rds.exceptions import (
    DBInstanceNotFoundError,
    DBParameterGroupNotFoundError,
    DBSubnetGroupNotFoundError,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidSubnet,
    RDSClientError,
)
from moto.rds.models import DBInstance, DBSnapshot, MasterUserSecret, RDSBackend, rds_backends
from moto.rds.responses import RDSResponse

from . import control, lifecycle

# ModifyDBInstance parameters applied in the next maintenance window unless ApplyImmediately:
# request key (as moto parses it) -> (PendingModifiedValues member, DBInstance attribute).
DEFERRED = {
    "db_instance_class": ("DBInstanceClass", "db_instance_class"),
    "allocated_storage": ("AllocatedStorage", "allocated_storage"),
    "storage_type": ("StorageType", "storage_type"),
    "iops": ("Iops", "iops"),
    "storage_throughput": ("StorageThroughput", "storage_throughput"),
    "multi_az": ("MultiAZ", "multi_az"),
    "engine_version": ("EngineVersion", "engine_version"),
    "backup_retention_period": ("BackupRetentionPeriod", "backup_retention_period"),
    "db_subnet_group_name": ("DBSubnetGroupName", "_db_subnet_group_name"),
    "ca_certificate_identifier": ("CACertificateIdentifier", "ca_certificate_identifier"),
    "license_model": ("LicenseModel", "license_model"),
}
ATTRIBUTE_OF = {member: attribute for member, attribute in DEFERRED.values()}
SETTER_OF = {"_db_subnet_group_name": "db_subnet_group_name"}

# Statuses in which ModifyDBInstance is accepted.
MODIFIABLE = {"available", "storage-optimization", "storage-full"}

_create = RDSBackend.create_db_instance
_modify = RDSBackend.modify_db_instance
_delete = RDSBackend.delete_db_instance
_create_snapshot = RDSBackend.create_db_snapshot
_endpoint = DBInstance.endpoint


def _pending(db) -> dict:
    return db.__dict__.setdefault("pending_modified_values", {})


def _current(db, attribute):
    return getattr(db, attribute, None)


def _apply_pending(db) -> None:
    pending = _pending(db)
    for member, value in list(pending.items()):
        attribute = ATTRIBUTE_OF[member]
        setattr(db, SETTER_OF.get(attribute, attribute), value)
    pending.clear()


def _start_modifying(db) -> None:
    lifecycle.start(db, ["modifying"], on_done=lambda: _apply_pending(db))


def _resource_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "db-" + "".join(secrets.choice(alphabet) for _ in range(26))


def create_db_instance(self, db_kwargs):
    db = _create(self, db_kwargs)
    db.dbi_resource_id = _resource_id()
    _pending(db)
    _set_performance_insights(db, db_kwargs)
    lifecycle.start(db, ["creating", "backing-up"])
    return db


def _set_performance_insights(db, kwargs) -> None:
    enabled = kwargs.get("enable_performance_insights")
    if enabled is None:
        db.__dict__.setdefault("performance_insights_enabled", False)
        return
    db.performance_insights_enabled = bool(enabled)
    if enabled:
        db.performance_insights_retention_period = (
            kwargs.get("performance_insights_retention_period")
            or getattr(db, "performance_insights_retention_period", None)
            or 7
        )
        db.performance_insights_kms_key_id = kwargs.get("performance_insights_kms_key_id") or db.kms_key_id
    else:
        db.performance_insights_retention_period = None
        db.performance_insights_kms_key_id = None


def modify_db_instance(self, db_instance_identifier, db_kwargs):
    db = self.describe_db_instances(db_instance_identifier)[0]
    if db.status not in MODIFIABLE:
        raise RDSClientError("InvalidDBInstanceState", "Database instance is not in available state.")
    apply_now = bool(db_kwargs.get("apply_immediately"))
    changes = {}
    for key, (member, attribute) in DEFERRED.items():
        if db_kwargs.get(key) is None:
            continue
        value = db_kwargs.pop(key)
        current = _current(db, attribute)
        if value == current:
            _pending(db).pop(member, None)
            continue
        if key == "backup_retention_period" and value and current:
            # "If you change the parameter from one non-zero value to another non-zero value, the
            # change is asynchronously applied as soon as possible."
            db_kwargs[key] = value
            continue
        changes[member] = value
    performance_insights = {
        key: db_kwargs.pop(key)
        for key in (
            "enable_performance_insights",
            "performance_insights_retention_period",
            "performance_insights_kms_key_id",
        )
        if key in db_kwargs
    }
    db = _modify(self, db_instance_identifier, db_kwargs)
    if performance_insights:
        _set_performance_insights(db, performance_insights)
    _pending(db).update(changes)
    if apply_now and _pending(db):
        _start_modifying(db)
    return db


def delete_db_instance(
    self,
    db_instance_identifier,
    final_db_snapshot_identifier=None,
    skip_final_snapshot=None,
    delete_automated_backups=True,
):
    self._validate_db_identifier(db_instance_identifier)
    db = self.databases.get(db_instance_identifier)
    if db is None:
        raise DBInstanceNotFoundError(db_instance_identifier)
    if db.status == "deleting":
        raise RDSClientError(
            "InvalidDBInstanceState", f"Instance {db_instance_identifier} is already being deleted."
        )
    if db.deletion_protection:
        raise InvalidParameterCombination(
            "Cannot delete protected DB Instance, please disable deletion protection and try again."
        )
    skip = bool(skip_final_snapshot)
    if db.is_replica:
        if final_db_snapshot_identifier:
            raise InvalidParameterCombination(
                "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance"
            )
        skip = True
    elif skip and final_db_snapshot_identifier:
        raise InvalidParameterCombination(
            "Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot."
        )
    elif not skip and not final_db_snapshot_identifier:
        raise InvalidParameterCombination(
            "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
        )
    elif not skip and db.status == "creating":
        raise RDSClientError(
            "InvalidDBInstanceState", "Instance is currently creating - a final snapshot cannot be taken."
        )
    if not skip:
        snapshot = _create_snapshot(
            self, db_instance_identifier, final_db_snapshot_identifier, snapshot_type="manual"
        )
        lifecycle.start(snapshot, ["creating"])

    def remove():
        if self.databases.get(db_instance_identifier) is db:
            _delete(
                self,
                db_instance_identifier,
                skip_final_snapshot=True,
                delete_automated_backups=delete_automated_backups,
            )

    db.status = "deleting"
    _pending(db).clear()
    lifecycle.start(db, ["deleting"] * (1 if skip else 2), on_done=remove)
    return db


def create_db_snapshot(self, db_instance_identifier, db_snapshot_identifier, snapshot_type="manual", **kwargs):
    db = self.databases.get(db_instance_identifier)
    if db is not None and snapshot_type == "manual" and db.status not in MODIFIABLE | {"backing-up"}:
        raise RDSClientError(
            "InvalidDBInstanceState",
            f"Cannot create a snapshot because the database instance {db_instance_identifier} "
            "is not currently in the available state.",
        )
    snapshot = _create_snapshot(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, **kwargs)
    if snapshot_type == "manual":
        lifecycle.start(snapshot, ["creating"])
    return snapshot


def _endpoint_unless_creating(self):
    if self.status == "creating":
        return None
    return _endpoint.fget(self)


def _secret_string(self) -> str:
    """The managed master secret holds the instance's master user name, as RDS writes it."""
    alphabet = string.ascii_letters + string.digits
    password = "".join(secrets.choice(alphabet) for _ in range(32))
    username = getattr(self.resource, "master_username", None) or "admin"
    return json.dumps({"username": username, "password": password})


# --------------------------------------------------------------------------------------------
# DB subnet groups.

_create_subnet_group = RDSBackend.create_subnet_group


def _subnets(account_id, region, subnet_ids) -> list:
    """The EC2 subnets of ``subnet_ids``, checked as CreateDBSubnetGroup and ModifyDBSubnetGroup
    check them: all exist, in one VPC, over at least two Availability Zones."""
    if not subnet_ids:
        raise RDSClientError("InvalidSubnet", "Subnet IDs are required.")
    ec2 = ec2_backends[account_id][region]
    known = {i: s for zone in ec2.subnets.values() for i, s in zone.items()}
    missing = [i for i in subnet_ids if i not in known]
    if missing:
        raise InvalidParameterValue(f"Some input subnets in :[{', '.join(missing)}] are invalid.")
    found = [known[i] for i in subnet_ids]
    for subnet in found:
        if subnet.vpc_id != found[0].vpc_id:
            raise InvalidSubnet(subnet_identifier=subnet.id)
    zones = sorted({s.availability_zone for s in found})
    if len(zones) < 2:
        raise RDSClientError(
            "DBSubnetGroupDoesNotCoverEnoughAZs",
            "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
            f"Current AZ coverage: {', '.join(zones)}. Add subnets to cover at least 2 AZs.",
        )
    return found


def _refuse_existing(backend, subnet_name) -> None:
    if subnet_name in backend.subnet_groups:
        raise RDSClientError("DBSubnetGroupAlreadyExists", f"The DB subnet group '{subnet_name}' already exists.")


def create_subnet_group(self, subnet_name, description, subnets, tags):
    _refuse_existing(self, subnet_name)
    return _create_subnet_group(self, subnet_name, description, subnets, tags)


def modify_db_subnet_group(self, subnet_name, description, subnets):
    group = self.subnet_groups.get(subnet_name)
    if group is None:
        raise DBSubnetGroupNotFoundError(subnet_name)
    if subnets[0].vpc_id != group.vpc_id:
        raise InvalidParameterValue("The new Subnets are not in the same Vpc as the existing subnet group")
    group.subnets = subnets
    if description is not None:
        group.description = description
    return group


def _subnet_group_users(backend, name) -> tuple[str, list[str]]:
    name = name.lower()
    instances = [
        db.db_instance_identifier
        for db in backend.databases.values()
        if (getattr(db, "_db_subnet_group_name", None) or "").lower() == name
        or (_pending(db).get("DBSubnetGroupName") or "").lower() == name
    ]
    if instances:
        return "database instance", instances
    clusters = [
        c.db_cluster_identifier
        for c in backend.clusters.values()
        if (getattr(c, "db_subnet_group_name", None) or "").lower() == name
    ]
    return "database cluster", clusters


def delete_subnet_group(self, subnet_name):
    if subnet_name not in self.subnet_groups:
        raise DBSubnetGroupNotFoundError(subnet_name)
    kind, users = _subnet_group_users(self, subnet_name)
    if users:
        raise RDSClientError(
            "InvalidDBSubnetGroupStateFault",
            f"Cannot delete the subnet group '{self.subnet_groups[subnet_name].name}' because at least one "
            f"{kind}: {users[0]} is still using it.",
        )
    return self.subnet_groups.pop(subnet_name)


def _create_db_subnet_group_response(self):
    _refuse_existing(self.backend, self.params.get("DBSubnetGroupName"))
    subnets = _subnets(self.current_account, self.region, self.params.get("SubnetIds", []))
    group = self.backend.create_subnet_group(
        self.params.get("DBSubnetGroupName"),
        self.params.get("DBSubnetGroupDescription"),
        subnets,
        self.params.get("Tags", []),
    )
    return ActionResult({"DBSubnetGroup": group})


def _modify_db_subnet_group_response(self):
    name = self.params.get("DBSubnetGroupName")
    if name not in self.backend.subnet_groups:
        raise DBSubnetGroupNotFoundError(name)
    subnets = _subnets(self.current_account, self.region, self.params.get("SubnetIds", []))
    group = self.backend.modify_db_subnet_group(name, self.params.get("DBSubnetGroupDescription"), subnets)
    return ActionResult({"DBSubnetGroup": group})


# --------------------------------------------------------------------------------------------
# DB parameter groups.

# A partial table of RDS for PostgreSQL parameters, as DescribeDBParameters lists them for a group
# of these families: name -> (default value or None, Source of the default, ApplyType, DataType,
# AllowedValues, Description). A default RDS sets itself is Source "system"; one left to
# PostgreSQL has no value and is "engine-default". Every parameter here is modifiable.
_POSTGRES = {
    "effective_cache_size": ("{DBInstanceClassMemory/16384}", "system", "dynamic", "integer", "1-2147483647",
                             "(8kB) Sets the planner's assumption about the size of the disk cache."),
    "idle_in_transaction_session_timeout": (None, "engine-default", "dynamic", "integer", "0-2147483647",
                                            "(ms) Sets the maximum allowed duration of any idling transaction."),
    "log_connections": (None, "engine-default", "dynamic", "boolean", "0,1", "Logs each successful connection."),
    "log_min_duration_statement": (None, "engine-default", "dynamic", "integer", "-1-2147483647",
                                   "(ms) Sets the minimum execution time above which statements will be logged."),
    "log_statement": (None, "engine-default", "dynamic", "string", "none,ddl,mod,all",
                      "Sets the type of statements logged."),
    "maintenance_work_mem": ("GREATEST({DBInstanceClassMemory*1024/63963136},65536)", "system", "dynamic",
                             "integer", "1024-2147483647",
                             "(kB) Sets the maximum memory to be used for maintenance operations."),
    "max_connections": ("LEAST({DBInstanceClassMemory/9531392},5000)", "system", "static", "integer",
                        "6-8388607", "Sets the maximum number of concurrent connections."),
    "rds.force_ssl": ("1", "system", "dynamic", "boolean", "0,1", "Force SSL connections."),
    "rds.logical_replication": ("0", "system", "static", "boolean", "0,1", "Enables logical decoding."),
    "shared_buffers": ("{DBInstanceClassMemory/32768}", "system", "static", "integer", "16-1073741823",
                       "(8kB) Sets the number of shared memory buffers used by the server."),
    "shared_preload_libraries": (
        "pg_stat_statements", "system", "static", "list",
        "auto_explain,orafce,pg_cron,pg_hint_plan,pg_partman_bgw,pg_prewarm,pg_similarity,pg_stat_statements,"
        "pg_tle,pg_transport,pgaudit,pglogical,plprofiler",
        "Lists shared libraries to preload into server.",
    ),
    "statement_timeout": (None, "engine-default", "dynamic", "integer", "0-2147483647",
                          "(ms) Sets the maximum allowed duration of any statement."),
    "work_mem": (None, "engine-default", "dynamic", "integer", "64-2147483647",
                 "(kB) Sets the maximum memory to be used for query workspaces."),
}
# RDS for PostgreSQL 15 and later default rds.force_ssl to 1, so both families share the table.
POSTGRES_PARAMETERS = {"postgres15": _POSTGRES, "postgres16": _POSTGRES}
SOURCES = ("user", "system", "engine-default")
STATIC_IMMEDIATE = "cannot use immediate apply method for static parameter"

_modify_parameter_group = RDSBackend.modify_db_parameter_group
_delete_parameter_group = RDSBackend.delete_db_parameter_group


def _known(group) -> dict:
    return POSTGRES_PARAMETERS.get((group.family or "").lower(), {})


def _check_apply_methods(group, parameters) -> None:
    known = _known(group)
    for parameter in parameters:
        definition = known.get(parameter.get("ParameterName"))
        if definition and definition[2] == "static" and parameter.get("ApplyMethod") == "immediate":
            raise InvalidParameterCombination(STATIC_IMMEDIATE)


def modify_db_parameter_group(self, db_parameter_group_name, db_parameter_group_parameters):
    group = self.db_parameter_groups.get(db_parameter_group_name)
    if group is None:
        raise DBParameterGroupNotFoundError(db_parameter_group_name)
    parameters = list(db_parameter_group_parameters)
    _check_apply_methods(group, parameters)
    return _modify_parameter_group(self, db_parameter_group_name, parameters)


def delete_db_parameter_group(self, db_parameter_group_name):
    group = self.db_parameter_groups.get(db_parameter_group_name)
    if group is not None and any(
        (db.db_parameter_group_name or "").lower() == group.name for db in self.databases.values()
    ):
        raise RDSClientError(
            "InvalidDBParameterGroupState",
            f"One or more database instances are still members of this parameter group {group.name}, "
            "so the group cannot be deleted",
        )
    return _delete_parameter_group(self, db_parameter_group_name)


def _parameter_group(backend, name):
    group = backend.db_parameter_groups.get(name or "")
    if group is None:
        raise DBParameterGroupNotFoundError(name)
    return group


def _parameters(group) -> list[dict]:
    """Every parameter of the group as DescribeDBParameters lists it, by name."""
    items = {}
    for name, (value, source, apply_type, data_type, allowed, description) in _known(group).items():
        item = {
            "ParameterName": name,
            "Description": description,
            "Source": source,
            "ApplyType": apply_type,
            "DataType": data_type,
            "AllowedValues": allowed,
            "IsModifiable": True,
            "ApplyMethod": "pending-reboot",
        }
        if value is not None:
            item["ParameterValue"] = value
        items[name] = item
    for name, stored in group.parameters.items():
        item = dict(items.get(name, {}))
        item.update({k: v for k, v in stored.items() if v is not None})
        item["Source"] = "user"
        items[name] = item
    return [items[name] for name in sorted(items)]


def _describe_db_parameters_response(self):
    group = _parameter_group(self.backend, self.params.get("DBParameterGroupName"))
    source = self.params.get("Source")
    if source is not None and source not in SOURCES:
        raise InvalidParameterValue(f"Invalid value {source} for Source. Valid values: {', '.join(SOURCES)}")
    parameters = [p for p in _parameters(group) if source is None or p["Source"] == source]
    size = int(self.params.get("MaxRecords") or 100)
    start = int(self.params.get("Marker") or 0)
    page = parameters[start : start + size]
    result = {"Parameters": page}
    if start + size < len(parameters):
        result["Marker"] = str(start + size)
    return ActionResult(result)


def _reset_db_parameter_group_response(self):
    group = _parameter_group(self.backend, self.params.get("DBParameterGroupName"))
    parameters = [p.original_dict() for p in self.params.get("Parameters", [])]
    reset_all = self.params.get("ResetAllParameters")
    if reset_all is None:
        # "By default, all parameters in the DB parameter group are reset to default values."
        reset_all = not parameters
    if reset_all:
        group.parameters.clear()
    else:
        _check_apply_methods(group, parameters)
        for parameter in parameters:
            group.parameters.pop(parameter.get("ParameterName"), None)
    return ActionResult({"DBParameterGroupName": group.name})


def maintenance_window(query):
    """Open a maintenance window: every available instance with pending modifications applies them."""
    lifecycle.settle()
    started = []
    for account, region, backend in control.selected(rds_backends, query):
        for db in list(backend.databases.values()):
            if _pending(db) and db.status == "available":
                _start_modifying(db)
                started.append({"account": account, "region": region, "id": db.db_instance_identifier})
    return {"started": started}


def install():
    DBInstance.status = lifecycle.status_property("_sw_status")
    DBSnapshot.status = lifecycle.status_property("_sw_status")
    DBInstance.endpoint = property(_endpoint_unless_creating)
    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.modify_db_instance = modify_db_instance
    RDSBackend.delete_db_instance = delete_db_instance
    RDSBackend.create_db_snapshot = create_db_snapshot
    MasterUserSecret._generate_secret_string = _secret_string
    RDSBackend.create_subnet_group = create_subnet_group
    RDSBackend.modify_db_subnet_group = modify_db_subnet_group
    RDSBackend.delete_subnet_group = delete_subnet_group
    RDSBackend.modify_db_parameter_group = modify_db_parameter_group
    RDSBackend.delete_db_parameter_group = delete_db_parameter_group
    RDSResponse.create_db_subnet_group = _create_db_subnet_group_response
    RDSResponse.modify_db_subnet_group = _modify_db_subnet_group_response
    RDSResponse.describe_db_parameters = _describe_db_parameters_response
    RDSResponse.reset_db_parameter_group = _reset_db_parameter_group_response
    lifecycle.settle_before(RDSResponse)
    control.register(
        "POST",
        "rds/maintenance-window",
        maintenance_window,
        "RDS: available DB instances with pending modifications apply them (modifying -> available)",
    )
