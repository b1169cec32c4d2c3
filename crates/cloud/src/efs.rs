//! Amazon EFS: the encrypted file system behind an AppStack's volumes, its mount targets (one per
//! Availability Zone the tasks run in) and an access point per volume.
//!
//! Creates are idempotent by token: a file system by its `CreationToken` (the same token again is
//! `FileSystemAlreadyExists`, which names the file system), an access point by its `ClientToken`.
//! A mount target has no token, but an Availability Zone holds at most one per file system
//! (`MountTargetConflict`), so a create retried after a crash cannot make a second.

use std::collections::BTreeMap;

use aws_sdk_efs::Client;
use aws_sdk_efs::types as t;

use crate::error::{CloudError, OptionalExt};
use crate::paging::all_pages;

/// A file system as DescribeFileSystems reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSystem {
    pub id: String,
    pub arn: String,
    pub creation_token: String,
    /// `creating`, `available`, `updating`, `deleting`, `deleted` or `error`.
    pub state: String,
    pub encrypted: bool,
    pub tags: BTreeMap<String, String>,
}

/// A mount target of a file system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountTarget {
    pub id: String,
    pub subnet_id: String,
    pub availability_zone: String,
    /// `creating`, `available`, `updating`, `deleting`, `deleted` or `error`.
    pub state: String,
}

/// The POSIX identity an access point imposes on every request through it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PosixUser {
    pub uid: i64,
    pub gid: i64,
}

/// An access point: a root directory (created on first use with `owner` and `permissions`) and
/// the identity every NFS request through it takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessPoint {
    pub id: String,
    pub arn: String,
    pub file_system_id: String,
    pub root_directory: String,
    pub posix_user: Option<PosixUser>,
    /// `creating`, `available`, `updating`, `deleting`, `deleted` or `error`.
    pub state: String,
    pub tags: BTreeMap<String, String>,
}

/// A CreateAccessPoint request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewAccessPoint {
    pub client_token: String,
    pub file_system_id: String,
    pub root_directory: String,
    pub user: PosixUser,
    /// Octal permissions of the root directory when EFS creates it, e.g. `750`.
    pub permissions: String,
    pub tags: BTreeMap<String, String>,
}

/// The EFS client for one region.
#[derive(Clone, Debug)]
pub struct Efs {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("efs:", $op), e))
    };
}

fn tags_of(list: &[t::Tag]) -> BTreeMap<String, String> {
    list.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

fn tag_list(operation: &'static str, tags: &BTreeMap<String, String>) -> Result<Vec<t::Tag>, CloudError> {
    tags.iter()
        .map(|(k, v)| t::Tag::builder().key(k).value(v).build().map_err(|e| CloudError::unbuildable(operation, e)))
        .collect()
}

fn file_system_of(f: t::FileSystemDescription) -> FileSystem {
    FileSystem {
        tags: tags_of(&f.tags),
        id: f.file_system_id,
        arn: f.file_system_arn.unwrap_or_default(),
        creation_token: f.creation_token,
        state: f.life_cycle_state.as_str().to_string(),
        encrypted: f.encrypted.unwrap_or(false),
    }
}

fn access_point_of(a: t::AccessPointDescription) -> AccessPoint {
    AccessPoint {
        tags: tags_of(a.tags()),
        id: a.access_point_id.unwrap_or_default(),
        arn: a.access_point_arn.unwrap_or_default(),
        file_system_id: a.file_system_id.unwrap_or_default(),
        root_directory: a.root_directory.and_then(|r| r.path).unwrap_or_else(|| "/".into()),
        posix_user: a.posix_user.map(|u| PosixUser { uid: u.uid, gid: u.gid }),
        state: a.life_cycle_state.map(|s| s.as_str().to_string()).unwrap_or_default(),
    }
}

impl Efs {
    pub(crate) fn new(client: Client) -> Self {
        Efs { client }
    }

    /// The file system created with `creation_token`, `None` if there is none (one call).
    pub async fn file_system_by_token(&self, creation_token: &str) -> Result<Option<FileSystem>, CloudError> {
        let out =
            call!("DescribeFileSystems", self.client.describe_file_systems().creation_token(creation_token).send())?;
        Ok(out.file_systems.unwrap_or_default().into_iter().map(file_system_of).find(|f| f.state != "deleted"))
    }

    /// Creates an encrypted, general-purpose file system with elastic throughput and its tags.
    /// The same `creation_token` again is `AlreadyExists` (the error names the file system).
    pub async fn create_file_system(
        &self,
        creation_token: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<FileSystem, CloudError> {
        let tags = tag_list("efs:CreateFileSystem", tags)?;
        let req = self
            .client
            .create_file_system()
            .creation_token(creation_token)
            .encrypted(true)
            .performance_mode(t::PerformanceMode::GeneralPurpose)
            .throughput_mode(t::ThroughputMode::Elastic)
            .set_tags((!tags.is_empty()).then_some(tags));
        let out = call!("CreateFileSystem", req.send())?;
        Ok(FileSystem {
            tags: tags_of(&out.tags),
            id: out.file_system_id,
            arn: out.file_system_arn.unwrap_or_default(),
            creation_token: out.creation_token,
            state: out.life_cycle_state.as_str().to_string(),
            encrypted: out.encrypted.unwrap_or(false),
        })
    }

    /// Starts deleting a file system (its mount targets must be gone: `Busy` until then); a
    /// missing one is success.
    pub async fn delete_file_system(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteFileSystem", self.client.delete_file_system().file_system_id(id).send()).optional().map(drop)
    }

    /// The mount targets of a file system.
    pub async fn mount_targets(&self, file_system_id: &str) -> Result<Vec<MountTarget>, CloudError> {
        all_pages(|marker| {
            let req = self.client.describe_mount_targets().file_system_id(file_system_id).set_marker(marker);
            async move {
                let page = call!("DescribeMountTargets", req.send())?;
                let targets = page
                    .mount_targets
                    .unwrap_or_default()
                    .into_iter()
                    .map(|m| MountTarget {
                        id: m.mount_target_id,
                        subnet_id: m.subnet_id,
                        availability_zone: m.availability_zone_name.unwrap_or_default(),
                        state: m.life_cycle_state.as_str().to_string(),
                    })
                    .collect();
                Ok((targets, page.next_marker))
            }
        })
        .await
    }

    /// Starts creating a mount target in `subnet_id` with `security_groups`; a zone that already
    /// has one is `AlreadyExists`.
    pub async fn create_mount_target(
        &self,
        file_system_id: &str,
        subnet_id: &str,
        security_groups: &[String],
    ) -> Result<(), CloudError> {
        let req = self
            .client
            .create_mount_target()
            .file_system_id(file_system_id)
            .subnet_id(subnet_id)
            .set_security_groups(Some(security_groups.to_vec()));
        call!("CreateMountTarget", req.send()).map(drop)
    }

    /// Starts deleting a mount target; a missing one is success.
    pub async fn delete_mount_target(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteMountTarget", self.client.delete_mount_target().mount_target_id(id).send()).optional().map(drop)
    }

    /// The access points of a file system.
    pub async fn access_points(&self, file_system_id: &str) -> Result<Vec<AccessPoint>, CloudError> {
        all_pages(|token| {
            let req = self.client.describe_access_points().file_system_id(file_system_id).set_next_token(token);
            async move {
                let page = call!("DescribeAccessPoints", req.send())?;
                let points = page.access_points.unwrap_or_default().into_iter().map(access_point_of).collect();
                Ok((points, page.next_token))
            }
        })
        .await
    }

    /// Creates an access point; the same `client_token` again is the same request.
    pub async fn create_access_point(&self, new: &NewAccessPoint) -> Result<AccessPoint, CloudError> {
        const OP: &str = "efs:CreateAccessPoint";
        let tags = tag_list(OP, &new.tags)?;
        let owner = t::CreationInfo::builder()
            .owner_uid(new.user.uid)
            .owner_gid(new.user.gid)
            .permissions(&new.permissions)
            .build()
            .map_err(|e| CloudError::unbuildable(OP, e))?;
        let user = t::PosixUser::builder()
            .uid(new.user.uid)
            .gid(new.user.gid)
            .build()
            .map_err(|e| CloudError::unbuildable(OP, e))?;
        let req = self
            .client
            .create_access_point()
            .client_token(&new.client_token)
            .file_system_id(&new.file_system_id)
            .posix_user(user)
            .root_directory(t::RootDirectory::builder().path(&new.root_directory).creation_info(owner).build())
            .set_tags((!tags.is_empty()).then_some(tags));
        let out = call!("CreateAccessPoint", req.send())?;
        Ok(AccessPoint {
            tags: tags_of(out.tags()),
            id: out.access_point_id.unwrap_or_default(),
            arn: out.access_point_arn.unwrap_or_default(),
            file_system_id: out.file_system_id.unwrap_or_default(),
            root_directory: out.root_directory.and_then(|r| r.path).unwrap_or_else(|| "/".into()),
            posix_user: out.posix_user.map(|u| PosixUser { uid: u.uid, gid: u.gid }),
            state: out.life_cycle_state.map(|s| s.as_str().to_string()).unwrap_or_default(),
        })
    }

    /// Deletes an access point; a missing one is success.
    pub async fn delete_access_point(&self, id: &str) -> Result<(), CloudError> {
        call!("DeleteAccessPoint", self.client.delete_access_point().access_point_id(id).send()).optional().map(drop)
    }

    /// Adds (or overwrites) tags on a file system or access point by id (no call for none).
    pub async fn tag_resource(&self, id: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if tags.is_empty() {
            return Ok(());
        }
        let tags = tag_list("efs:TagResource", tags)?;
        call!("TagResource", self.client.tag_resource().resource_id(id).set_tags(Some(tags)).send()).map(drop)
    }
}
