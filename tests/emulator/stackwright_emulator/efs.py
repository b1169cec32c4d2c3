"""EFS file systems and mount targets: lifecycle states, and the idempotency error's file system id.

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
"""

import json

from moto.efs.exceptions import EFSError, FileSystemNotFound, MountTargetNotFound
from moto.efs.models import EFSBackend, FileSystem, MountTarget
from moto.efs.responses import EFSResponse

from . import lifecycle


class FileSystemAlreadyExists(EFSError):
    code = 409

    def __init__(self, creation_token: str, file_system_id: str):
        message = f"File system '{file_system_id}' already exists with creation token '{creation_token}'"
        super().__init__("FileSystemAlreadyExists", message)
        self.description = json.dumps(
            {
                "__type": "FileSystemAlreadyExists",
                "ErrorCode": "FileSystemAlreadyExists",
                "Message": message,
                "FileSystemId": file_system_id,
            }
        )


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
_fs_info = FileSystem.info_json
_mt_info = MountTarget.info_json


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


def _with_state(original):
    def info_json(self):
        info = original(self)
        info["LifeCycleState"] = self.life_cycle_state
        return info

    return info_json


def install():
    FileSystem.life_cycle_state = lifecycle.status_property("_sw_status")
    MountTarget.life_cycle_state = lifecycle.status_property("_sw_status")
    FileSystem.info_json = _with_state(_fs_info)
    MountTarget.info_json = _with_state(_mt_info)
    EFSBackend.create_file_system = create_file_system
    EFSBackend.delete_file_system = delete_file_system
    EFSBackend.create_mount_target = create_mount_target
    EFSBackend.delete_mount_target = delete_mount_target
    lifecycle.settle_before(EFSResponse)
