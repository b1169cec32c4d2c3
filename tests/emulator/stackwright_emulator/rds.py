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
"""

import json
import secrets
import string

from moto.rds.exceptions import (
    DBInstanceNotFoundError,
    InvalidParameterCombination,
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
    lifecycle.settle_before(RDSResponse)
    control.register(
        "POST",
        "rds/maintenance-window",
        maintenance_window,
        "RDS: available DB instances with pending modifications apply them (modifying -> available)",
    )
