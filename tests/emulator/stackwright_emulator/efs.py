"""EFS file systems, mount targets and access points: lifecycle states, idempotency errors, not-found
errors.

moto 5.2.5 creates file systems and mount targets ``available`` and deletes them at once. Following
the EFS API Reference (https://docs.aws.amazon.com/efs/latest/ug/api-reference.html):

* CreateFileSystem: ``LifeCycleState`` ``creating`` -> ``available`` (one delay). DeleteFileSystem:
  ``deleting`` -> gone (FileSystemNotFound), still refused with ``FileSystemInUse`` while the file
  system has mount targets, deleting ones included.
* CreateMountTarget: ``creating`` -> ``available``; refused with
  ``IncorrectFileSystemLifeCycleState`` unless the file system is ``available``.
  DeleteMountTarget: ``deleting`` -> gone; its network interface goes with it.
* CreateFileSystem with a ``CreationToken`` already used answers ``FileSystemAlreadyExists`` with the
  ``FileSystemId`` member the API defines for it (moto leaves it out), which is what makes the token
  an idempotency token: the caller learns which file system its earlier request created.

Access points (moto 5.2.5 creates one for any file system id, even none that exists, ``available`` at
once, lets a ClientToken be reused, ignores an unknown id on delete, and keeps access points and their
tags after their file system is gone):

* CreateAccessPoint (https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html):
  ``AccessPointAlreadyExists`` (HTTP 409) for a ``ClientToken`` an existing access point of the
  account and Region was created with, carrying the ``AccessPointId`` member the API defines for it
  (like ``FileSystemAlreadyExists`` above); ``FileSystemNotFound`` (404) for a file system that does
  not exist; ``IncorrectFileSystemLifeCycleState`` (409) unless it is ``available``. A new access
  point is ``creating``, then ``available`` after one delay
  (https://docs.aws.amazon.com/efs/latest/ug/API_AccessPointDescription.html, ``LifeCycleState``).
* DeleteAccessPoint (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteAccessPoint.html):
  ``AccessPointNotFound`` (404) for an unknown id; the access point's tags go with it.
* DescribeAccessPoints (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeAccessPoints.html):
  ``FileSystemNotFound`` for a ``FileSystemId`` that does not exist.
* DeleteFileSystem (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html): when the
  file system is finally removed, its access points and their tags are removed with it; an access
  point cannot outlive its file system.
* ListTagsForResource (https://docs.aws.amazon.com/efs/latest/ug/API_ListTagsForResource.html):
  ``AccessPointNotFound`` / ``FileSystemNotFound`` for an access point or file system id that does not
  exist (or no longer does); moto answered no tags, or the tags a deleted file system had.
"""

import json

from moto.efs.exceptions import AccessPointNotFound, EFSError, FileSystemNotFound, MountTargetNotFound
from moto.efs.models import AccessPoint, EFSBackend, FileSystem, MountTarget
from moto.efs.responses import EFSResponse

from . import lifecycle


class _AlreadyExists(EFSError):
    """An idempotency token already used: the error carries the id of what the earlier request made."""

    code = 409

    def __init__(self, error_code: str, message: str, id_member: str, resource_id: str):
        super().__init__(error_code, message)
        self.description = json.dumps(
            {"__type": error_code, "ErrorCode": error_code, "Message": message, id_member: resource_id}
        )


class FileSystemAlreadyExists(_AlreadyExists):
    def __init__(self, creation_token: str, file_system_id: str):
        message = f"File system '{file_system_id}' already exists with creation token '{creation_token}'"
        super().__init__("FileSystemAlreadyExists", message, "FileSystemId", file_system_id)


class AccessPointAlreadyExists(_AlreadyExists):
    def __init__(self, client_token: str, access_point_id: str):
        message = f"Access point '{access_point_id}' already exists with client token '{client_token}'"
        super().__init__("AccessPointAlreadyExists", message, "AccessPointId", access_point_id)


class IncorrectFileSystemLifeCycleState(EFSError):
    code = 409

    def __init__(self, file_system_id: str, state: str):
        super().__init__(
            "IncorrectFileSystemLifeCycleState",
            f"File system '{file_system_id}' is in the '{state}' state, not 'available'.",
        )


_create_file_system = EFSBackend.create_file_system
_create_mount_target = EFSBackend.create_mount_target
_delete_file_system = EFSBackend.delete_file_system
_delete_mount_target = EFSBackend.delete_mount_target
_create_access_point = EFSBackend.create_access_point
_describe_access_points = EFSBackend.describe_access_points
_list_tags_response = EFSResponse.list_tags_for_resource
_fs_info = FileSystem.info_json
_mt_info = MountTarget.info_json
_ap_info = AccessPoint.info_json


def create_file_system(self, creation_token, *args, **kwargs):
    for existing in self.file_systems_by_id.values():
        if creation_token and existing.creation_token == creation_token:
            raise FileSystemAlreadyExists(creation_token, existing.file_system_id)
    file_system = _create_file_system(self, creation_token, *args, **kwargs)
    lifecycle.start(file_system, ["creating"])
    return file_system


def delete_file_system(self, file_system_id):
    file_system = self.file_systems_by_id.get(file_system_id)
    if file_system is None:
        raise FileSystemNotFound(file_system_id)
    if file_system.life_cycle_state == "deleting":
        return
    if file_system.number_of_mount_targets > 0:
        _delete_file_system(self, file_system_id)  # raises moto's FileSystemInUse

    def remove():
        if self.file_systems_by_id.get(file_system_id) is file_system:
            _delete_file_system(self, file_system_id)
            for access_point in list(self.access_points.values()):
                if access_point.file_system_id == file_system_id:
                    _remove_access_point(self, access_point.access_point_id)

    file_system.life_cycle_state = "deleting"
    lifecycle.start(file_system, ["deleting"], on_done=remove)


def create_mount_target(self, file_system_id, subnet_id, ip_address=None, security_groups=None):
    file_system = self.file_systems_by_id.get(file_system_id)
    if file_system is not None and file_system.life_cycle_state != "available":
        raise IncorrectFileSystemLifeCycleState(file_system_id, file_system.life_cycle_state)
    mount_target = _create_mount_target(self, file_system_id, subnet_id, ip_address, security_groups)
    lifecycle.start(mount_target, ["creating"])
    return mount_target


def delete_mount_target(self, mount_target_id):
    mount_target = self.mount_targets_by_id.get(mount_target_id)
    if mount_target is None:
        raise MountTargetNotFound(mount_target_id)
    if mount_target.life_cycle_state == "deleting":
        return

    def remove():
        if self.mount_targets_by_id.get(mount_target_id) is mount_target:
            _delete_mount_target(self, mount_target_id)

    mount_target.life_cycle_state = "deleting"
    lifecycle.start(mount_target, ["deleting"], on_done=remove)


def create_access_point(self, client_token, tags, file_system_id, posix_user, root_directory):
    for existing in self.access_points.values():
        if client_token and existing.client_token == client_token:
            raise AccessPointAlreadyExists(client_token, existing.access_point_id)
    file_system = self.file_systems_by_id.get(file_system_id)
    if file_system is None:
        raise FileSystemNotFound(file_system_id)
    if file_system.life_cycle_state != "available":
        raise IncorrectFileSystemLifeCycleState(file_system_id, file_system.life_cycle_state)
    access_point = _create_access_point(self, client_token, tags, file_system_id, posix_user, root_directory)
    access_point.life_cycle_state = "available"
    lifecycle.start(access_point, ["creating"])
    return access_point


def describe_access_points(self, access_point_id, file_system_id):
    if file_system_id and not access_point_id and file_system_id not in self.file_systems_by_id:
        raise FileSystemNotFound(file_system_id)
    return _describe_access_points(self, access_point_id, file_system_id)


def delete_access_point(self, access_point_id):
    if access_point_id not in self.access_points:
        raise AccessPointNotFound(access_point_id)
    _remove_access_point(self, access_point_id)


def _remove_access_point(self, access_point_id):
    access_point = self.access_points.pop(access_point_id)
    walk = access_point.__dict__.get("_sw_walk")
    if walk is not None:
        walk.cancel()
    self.tagging_service.delete_all_tags_for_resource(access_point_id)


def list_tags_for_resource_response(self):
    """moto's ListTagsForResource handler, for a resource that exists. (The backend method stays as
    it is: moto's ``info_json`` reads tags through it.)"""
    resource_id = self._get_param("ResourceId") or ""
    backend = self.efs_backend
    if resource_id.startswith("fsap-") and resource_id not in backend.access_points:
        raise AccessPointNotFound(resource_id)
    if resource_id.startswith("fs-") and resource_id not in backend.file_systems_by_id:
        raise FileSystemNotFound(resource_id)
    return _list_tags_response(self)


def _with_state(original):
    def info_json(self):
        info = original(self)
        info["LifeCycleState"] = self.life_cycle_state
        return info

    return info_json


def install():
    FileSystem.life_cycle_state = lifecycle.status_property("_sw_status")
    MountTarget.life_cycle_state = lifecycle.status_property("_sw_status")
    AccessPoint.life_cycle_state = lifecycle.status_property("_sw_status")
    FileSystem.info_json = _with_state(_fs_info)
    MountTarget.info_json = _with_state(_mt_info)
    AccessPoint.info_json = _with_state(_ap_info)
    EFSBackend.create_file_system = create_file_system
    EFSBackend.delete_file_system = delete_file_system
    EFSBackend.create_mount_target = create_mount_target
    EFSBackend.delete_mount_target = delete_mount_target
    EFSBackend.create_access_point = create_access_point
    EFSBackend.describe_access_points = describe_access_points
    EFSBackend.delete_access_point = delete_access_point
    EFSResponse.list_tags_for_resource = list_tags_for_resource_response
    lifecycle.settle_before(EFSResponse)
