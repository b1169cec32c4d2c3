//! RDS: DB instances (read in account-wide pages, created, modified, deleted with or without a
//! final snapshot), their final snapshots, and the DB subnet and parameter groups an instance uses.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_rds::Client;
use aws_sdk_rds::types as t;

use crate::error::{CloudError, OptionalExt};
use crate::paging::all_pages;

/// The most records RDS returns per Describe call (its `MaxRecords` limit).
const PAGE: i32 = 100;

/// The most parameters one ModifyDBParameterGroup or ResetDBParameterGroup call takes.
const PARAMETERS_PER_CALL: usize = 20;

/// A DB instance as RDS reports it: everything the Database kind compares or reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbInstance {
    pub identifier: String,
    pub arn: String,
    /// The `DbiResourceId`: stays the same for the life of the instance (identifiers can be reused).
    pub resource_id: String,
    /// The AWS word: `creating`, `backing-up`, `available`, `modifying`, `rebooting`, `upgrading`,
    /// `storage-optimization`, `deleting`, ...
    pub status: String,
    pub engine: String,
    pub engine_version: String,
    /// e.g. `db.t3.small`.
    pub class: String,
    pub allocated_storage_gib: i32,
    /// The storage autoscaling ceiling; `None` when autoscaling is off.
    pub max_allocated_storage_gib: Option<i32>,
    /// `gp3`, `gp2`, `io1`, `io2`, `standard`.
    pub storage_type: String,
    pub iops: Option<i32>,
    pub multi_az: bool,
    pub db_name: Option<String>,
    pub master_username: String,
    pub backup_retention_days: i32,
    /// `hh24:mi-hh24:mi`, UTC.
    pub backup_window: Option<String>,
    /// `ddd:hh24:mi-ddd:hh24:mi`, UTC.
    pub maintenance_window: Option<String>,
    pub parameter_group: Option<ParameterGroupMembership>,
    pub subnet_group: Option<String>,
    /// The VPC security groups the instance is in or joining (those RDS is removing are left out:
    /// they are on their way out after a modify, not drift).
    pub security_group_ids: Vec<String>,
    pub performance_insights: bool,
    /// CloudWatch Logs exports, e.g. `postgresql`, `upgrade`.
    pub log_exports: Vec<String>,
    pub deletion_protection: bool,
    pub storage_encrypted: bool,
    pub kms_key_id: Option<String>,
    pub publicly_accessible: bool,
    pub copy_tags_to_snapshot: bool,
    /// Absent while the instance is being created.
    pub endpoint: Option<Endpoint>,
    /// The Secrets Manager secret RDS manages for the master password (`ManageMasterUserPassword`).
    pub master_user_secret_arn: Option<String>,
    /// Changes RDS has accepted but not applied yet (waiting for the maintenance window, or being
    /// applied now).
    pub pending: PendingModifications,
    pub tags: BTreeMap<String, String>,
}

/// The DB parameter group an instance uses, and whether its latest values are in effect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterGroupMembership {
    pub name: String,
    /// `in-sync`, `applying`, `pending-reboot`, ...
    pub apply_status: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub address: String,
    pub port: i32,
}

/// The values RDS will apply later (each `None` when nothing of the kind is pending).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingModifications {
    pub class: Option<String>,
    pub allocated_storage_gib: Option<i32>,
    pub multi_az: Option<bool>,
    pub engine_version: Option<String>,
    pub backup_retention_days: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
}

impl PendingModifications {
    pub fn is_empty(&self) -> bool {
        *self == PendingModifications::default()
    }
}

/// A DB instance to create. Encryption at rest, a master password managed by RDS in Secrets
/// Manager, and no public access are not options: every instance gets them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewDbInstance {
    pub identifier: String,
    pub engine: String,
    pub engine_version: String,
    pub class: String,
    pub allocated_storage_gib: i32,
    /// Turns storage autoscaling on, up to this size.
    pub max_allocated_storage_gib: Option<i32>,
    pub storage_type: String,
    pub iops: Option<i32>,
    pub multi_az: bool,
    pub db_name: Option<String>,
    pub master_username: String,
    pub backup_retention_days: i32,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub parameter_group: Option<String>,
    pub subnet_group: String,
    pub security_group_ids: Vec<String>,
    pub performance_insights: bool,
    pub log_exports: Vec<String>,
    pub deletion_protection: bool,
    pub copy_tags_to_snapshot: bool,
    pub tags: BTreeMap<String, String>,
}

/// Changes to a DB instance; `None` (or empty) leaves a setting as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbModification {
    pub class: Option<String>,
    pub allocated_storage_gib: Option<i32>,
    pub max_allocated_storage_gib: Option<i32>,
    pub storage_type: Option<String>,
    pub iops: Option<i32>,
    pub multi_az: Option<bool>,
    pub engine_version: Option<String>,
    /// Must be set when `engine_version` is of another major version than the instance's (see
    /// [`major_version`]): RDS refuses a major upgrade without it.
    pub allow_major_version_upgrade: bool,
    pub backup_retention_days: Option<i32>,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub parameter_group: Option<String>,
    pub subnet_group: Option<String>,
    /// The complete set of VPC security groups (RDS replaces the set).
    pub security_group_ids: Option<Vec<String>>,
    pub performance_insights: Option<bool>,
    /// Log types to start exporting to CloudWatch Logs.
    pub enable_log_exports: Vec<String>,
    /// Log types to stop exporting.
    pub disable_log_exports: Vec<String>,
    pub deletion_protection: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
    /// Apply now rather than in the next maintenance window (only matters for the settings RDS
    /// defers: class, storage, Multi-AZ, engine version, ...).
    pub apply_immediately: bool,
}

impl DbModification {
    /// Whether the modification changes nothing (then no call is needed).
    pub fn is_empty(&self) -> bool {
        DbModification { apply_immediately: false, ..self.clone() } == DbModification::default()
    }
}

/// A manual DB snapshot (e.g. the final snapshot taken when an instance is deleted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbSnapshot {
    pub id: String,
    /// `creating`, `available`, ...
    pub status: String,
    pub instance_id: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbSubnetGroup {
    pub name: String,
    pub arn: String,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    /// `None` when read in bulk: DescribeDBSubnetGroups carries no tags.
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbParameterGroup {
    pub name: String,
    pub arn: String,
    /// e.g. `postgres15`.
    pub family: String,
    pub description: String,
    /// `None` when read in bulk: DescribeDBParameterGroups carries no tags.
    pub tags: Option<BTreeMap<String, String>>,
}

/// The major version of an engine version, as RDS counts majors: PostgreSQL from 10 on by its
/// first number (`15.7` → `15`), before that and for MySQL and MariaDB by the first two
/// (`9.6.24` → `9.6`, `8.0.35` → `8.0`).
pub fn major_version<'v>(engine: &str, version: &'v str) -> &'v str {
    let mut parts = version.split('.');
    let first = parts.next().unwrap_or_default();
    let by_first = match engine {
        "postgres" | "aurora-postgresql" => first.parse::<u32>().is_ok_and(|n| n >= 10),
        "mysql" | "mariadb" | "aurora-mysql" => false,
        _ => true,
    };
    if by_first {
        return first;
    }
    match parts.next() {
        Some(second) => &version[..first.len() + 1 + second.len()],
        None => first,
    }
}

/// The DB parameter group family of an engine version: `postgres15`, `mysql8.0`, `mariadb10.11`.
pub fn default_family(engine: &str, version: &str) -> String {
    format!("{engine}{}", major_version(engine, version))
}

/// The RDS client for one region.
#[derive(Clone, Debug)]
pub struct Rds {
    client: Client,
}

macro_rules! call {
    ($op:literal, $fut:expr) => {
        $fut.await.map_err(|e| CloudError::from_sdk(concat!("rds:", $op), e))
    };
}

fn tags_of(list: Option<Vec<t::Tag>>) -> BTreeMap<String, String> {
    list.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect()
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<t::Tag> {
    tags.iter().map(|(k, v)| t::Tag::builder().key(k).value(v).build()).collect()
}

fn instance_of(db: t::DbInstance) -> DbInstance {
    let pending = db.pending_modified_values.unwrap_or_else(|| t::PendingModifiedValues::builder().build());
    DbInstance {
        identifier: db.db_instance_identifier.unwrap_or_default(),
        arn: db.db_instance_arn.unwrap_or_default(),
        resource_id: db.dbi_resource_id.unwrap_or_default(),
        status: db.db_instance_status.unwrap_or_default(),
        engine: db.engine.unwrap_or_default(),
        engine_version: db.engine_version.unwrap_or_default(),
        class: db.db_instance_class.unwrap_or_default(),
        allocated_storage_gib: db.allocated_storage.unwrap_or_default(),
        max_allocated_storage_gib: db.max_allocated_storage,
        storage_type: db.storage_type.unwrap_or_default(),
        iops: db.iops,
        multi_az: db.multi_az.unwrap_or(false),
        db_name: db.db_name,
        master_username: db.master_username.unwrap_or_default(),
        backup_retention_days: db.backup_retention_period.unwrap_or_default(),
        backup_window: db.preferred_backup_window,
        maintenance_window: db.preferred_maintenance_window,
        parameter_group: db.db_parameter_groups.unwrap_or_default().into_iter().find_map(|g| {
            Some(ParameterGroupMembership {
                name: g.db_parameter_group_name?,
                apply_status: g.parameter_apply_status.unwrap_or_default(),
            })
        }),
        subnet_group: db.db_subnet_group.and_then(|g| g.db_subnet_group_name),
        security_group_ids: db
            .vpc_security_groups
            .unwrap_or_default()
            .into_iter()
            .filter(|g| g.status.as_deref() != Some("removing"))
            .filter_map(|g| g.vpc_security_group_id)
            .collect(),
        performance_insights: db.performance_insights_enabled.unwrap_or(false),
        log_exports: db.enabled_cloudwatch_logs_exports.unwrap_or_default(),
        deletion_protection: db.deletion_protection.unwrap_or(false),
        storage_encrypted: db.storage_encrypted.unwrap_or(false),
        kms_key_id: db.kms_key_id,
        publicly_accessible: db.publicly_accessible.unwrap_or(false),
        copy_tags_to_snapshot: db.copy_tags_to_snapshot.unwrap_or(false),
        endpoint: db.endpoint.and_then(|e| Some(Endpoint { address: e.address?, port: e.port.unwrap_or_default() })),
        master_user_secret_arn: db.master_user_secret.and_then(|s| s.secret_arn),
        pending: PendingModifications {
            class: pending.db_instance_class,
            allocated_storage_gib: pending.allocated_storage,
            multi_az: pending.multi_az,
            engine_version: pending.engine_version,
            backup_retention_days: pending.backup_retention_period,
            storage_type: pending.storage_type,
            iops: pending.iops,
        },
        tags: tags_of(db.tag_list),
    }
}

/// How a parameter change takes effect: at once for dynamic parameters, at the next reboot for
/// static ones (RDS refuses `immediate` for those). A parameter whose type is unknown gets
/// `pending-reboot`, which RDS accepts for both.
fn apply_method(apply_type: Option<&str>) -> t::ApplyMethod {
    if apply_type == Some("dynamic") { t::ApplyMethod::Immediate } else { t::ApplyMethod::PendingReboot }
}

impl Rds {
    pub(crate) fn new(client: Client) -> Self {
        Rds { client }
    }

    /// Every DB instance of the account in this region, a page of 100 per call: one listing
    /// serves every Database of a sweep.
    pub async fn instances(&self) -> Result<Vec<DbInstance>, CloudError> {
        all_pages(|marker| async move {
            let page = call!(
                "DescribeDBInstances",
                self.client.describe_db_instances().max_records(PAGE).set_marker(marker).send()
            )?;
            Ok((page.db_instances.unwrap_or_default().into_iter().map(instance_of).collect(), page.marker))
        })
        .await
    }

    /// One DB instance, `None` if there is none with this identifier.
    pub async fn instance(&self, id: &str) -> Result<Option<DbInstance>, CloudError> {
        let out = call!("DescribeDBInstances", self.client.describe_db_instances().db_instance_identifier(id).send())
            .optional()?;
        Ok(out.and_then(|o| o.db_instances.unwrap_or_default().into_iter().next()).map(instance_of))
    }

    /// Creates a DB instance with its tags. An identifier already in use is `AlreadyExists`.
    pub async fn create_instance(&self, new: &NewDbInstance) -> Result<DbInstance, CloudError> {
        let req = self
            .client
            .create_db_instance()
            .db_instance_identifier(&new.identifier)
            .engine(&new.engine)
            .engine_version(&new.engine_version)
            .db_instance_class(&new.class)
            .allocated_storage(new.allocated_storage_gib)
            .set_max_allocated_storage(new.max_allocated_storage_gib)
            .storage_type(&new.storage_type)
            .set_iops(new.iops)
            .multi_az(new.multi_az)
            .set_db_name(new.db_name.clone())
            .master_username(&new.master_username)
            // The password is generated and kept by RDS in Secrets Manager: it never passes
            // through the controller.
            .manage_master_user_password(true)
            .storage_encrypted(true)
            .publicly_accessible(false)
            .backup_retention_period(new.backup_retention_days)
            .set_preferred_backup_window(new.backup_window.clone())
            .set_preferred_maintenance_window(new.maintenance_window.clone())
            .set_db_parameter_group_name(new.parameter_group.clone())
            .db_subnet_group_name(&new.subnet_group)
            .set_vpc_security_group_ids(Some(new.security_group_ids.clone()))
            .enable_performance_insights(new.performance_insights)
            .set_enable_cloudwatch_logs_exports((!new.log_exports.is_empty()).then(|| new.log_exports.clone()))
            .deletion_protection(new.deletion_protection)
            .copy_tags_to_snapshot(new.copy_tags_to_snapshot)
            .set_tags(Some(tag_list(&new.tags)));
        let out = call!("CreateDBInstance", req.send())?;
        Ok(out.db_instance.map(instance_of).unwrap_or_default())
    }

    /// Modifies a DB instance in place. RDS refuses it (`Busy`) unless the instance is available.
    pub async fn modify_instance(&self, id: &str, m: &DbModification) -> Result<DbInstance, CloudError> {
        let logs = (!m.enable_log_exports.is_empty() || !m.disable_log_exports.is_empty()).then(|| {
            t::CloudwatchLogsExportConfiguration::builder()
                .set_enable_log_types((!m.enable_log_exports.is_empty()).then(|| m.enable_log_exports.clone()))
                .set_disable_log_types((!m.disable_log_exports.is_empty()).then(|| m.disable_log_exports.clone()))
                .build()
        });
        let req = self
            .client
            .modify_db_instance()
            .db_instance_identifier(id)
            .set_db_instance_class(m.class.clone())
            .set_allocated_storage(m.allocated_storage_gib)
            .set_max_allocated_storage(m.max_allocated_storage_gib)
            .set_storage_type(m.storage_type.clone())
            .set_iops(m.iops)
            .set_multi_az(m.multi_az)
            .set_engine_version(m.engine_version.clone())
            .set_allow_major_version_upgrade(m.allow_major_version_upgrade.then_some(true))
            .set_backup_retention_period(m.backup_retention_days)
            .set_preferred_backup_window(m.backup_window.clone())
            .set_preferred_maintenance_window(m.maintenance_window.clone())
            .set_db_parameter_group_name(m.parameter_group.clone())
            .set_db_subnet_group_name(m.subnet_group.clone())
            .set_vpc_security_group_ids(m.security_group_ids.clone())
            .set_enable_performance_insights(m.performance_insights)
            .set_cloudwatch_logs_export_configuration(logs)
            .set_deletion_protection(m.deletion_protection)
            .set_copy_tags_to_snapshot(m.copy_tags_to_snapshot)
            .apply_immediately(m.apply_immediately);
        let out = call!("ModifyDBInstance", req.send())?;
        Ok(out.db_instance.map(instance_of).unwrap_or_default())
    }

    /// Deletes a DB instance: with `final_snapshot`, RDS first takes a manual snapshot of that
    /// name (which outlives the instance); without, none. Automated backups are kept either way
    /// (they expire by themselves), so a mistaken delete can still be restored from.
    pub async fn delete_instance(&self, id: &str, final_snapshot: Option<&str>) -> Result<(), CloudError> {
        let req = self
            .client
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(final_snapshot.is_none())
            .set_final_db_snapshot_identifier(final_snapshot.map(str::to_string))
            .delete_automated_backups(false);
        call!("DeleteDBInstance", req.send()).map(drop)
    }

    /// A manual DB snapshot, `None` if there is none with this identifier.
    pub async fn snapshot(&self, id: &str) -> Result<Option<DbSnapshot>, CloudError> {
        let out = call!("DescribeDBSnapshots", self.client.describe_db_snapshots().db_snapshot_identifier(id).send())
            .optional()?;
        Ok(out.and_then(|o| o.db_snapshots.unwrap_or_default().into_iter().next()).map(|s| DbSnapshot {
            id: s.db_snapshot_identifier.unwrap_or_default(),
            status: s.status.unwrap_or_default(),
            instance_id: s.db_instance_identifier.unwrap_or_default(),
            tags: tags_of(s.tag_list),
        }))
    }

    /// Adds (or overwrites) tags on any RDS resource by ARN.
    pub async fn add_tags(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), CloudError> {
        call!(
            "AddTagsToResource",
            self.client.add_tags_to_resource().resource_name(arn).set_tags(Some(tag_list(tags))).send()
        )
        .map(drop)
    }

    /// The tags of any RDS resource by ARN (for the groups, whose Describe calls carry none).
    pub async fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let out = call!("ListTagsForResource", self.client.list_tags_for_resource().resource_name(arn).send())?;
        Ok(tags_of(out.tag_list))
    }

    /// A DB subnet group with its tags (two calls: DescribeDBSubnetGroups carries no tags), `None`
    /// if there is none of this name.
    pub async fn subnet_group(&self, name: &str) -> Result<Option<DbSubnetGroup>, CloudError> {
        let Some(mut group) = self.describe_subnet_groups(Some(name)).await?.into_iter().next() else {
            return Ok(None);
        };
        group.tags = Some(self.tags(&group.arn).await?);
        Ok(Some(group))
    }

    /// A DB subnet group without its tags (one call; `tags` is `None`), `None` if there is none.
    pub async fn subnet_group_untagged(&self, name: &str) -> Result<Option<DbSubnetGroup>, CloudError> {
        Ok(self.describe_subnet_groups(Some(name)).await?.into_iter().next())
    }

    /// Every DB subnet group of the account in this region, a page of 100 per call, without
    /// their tags: one listing serves every Database of a sweep.
    pub async fn subnet_groups(&self) -> Result<Vec<DbSubnetGroup>, CloudError> {
        self.describe_subnet_groups(None).await
    }

    async fn describe_subnet_groups(&self, name: Option<&str>) -> Result<Vec<DbSubnetGroup>, CloudError> {
        all_pages(|marker| async move {
            let req = self
                .client
                .describe_db_subnet_groups()
                .set_db_subnet_group_name(name.map(str::to_string))
                .max_records(PAGE)
                .set_marker(marker);
            let Some(page) = call!("DescribeDBSubnetGroups", req.send()).optional()? else { return Ok((vec![], None)) };
            let groups = page.db_subnet_groups.unwrap_or_default().into_iter().map(|g| DbSubnetGroup {
                name: g.db_subnet_group_name.unwrap_or_default(),
                arn: g.db_subnet_group_arn.unwrap_or_default(),
                vpc_id: g.vpc_id.unwrap_or_default(),
                subnet_ids: g.subnets.unwrap_or_default().into_iter().filter_map(|s| s.subnet_identifier).collect(),
                tags: None,
            });
            Ok((groups.collect(), page.marker))
        })
        .await
    }

    /// Creates a DB subnet group with its tags. RDS wants subnets in at least two availability
    /// zones of one VPC.
    pub async fn create_subnet_group(
        &self,
        name: &str,
        description: &str,
        subnet_ids: &[String],
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let req = self
            .client
            .create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description)
            .set_subnet_ids(Some(subnet_ids.to_vec()))
            .set_tags(Some(tag_list(tags)));
        call!("CreateDBSubnetGroup", req.send()).map(drop)
    }

    /// Replaces the subnets of a DB subnet group.
    pub async fn modify_subnet_group(&self, name: &str, subnet_ids: &[String]) -> Result<(), CloudError> {
        let req =
            self.client.modify_db_subnet_group().db_subnet_group_name(name).set_subnet_ids(Some(subnet_ids.to_vec()));
        call!("ModifyDBSubnetGroup", req.send()).map(drop)
    }

    /// Deletes a DB subnet group; `Busy` while an instance still uses it.
    pub async fn delete_subnet_group(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteDBSubnetGroup", self.client.delete_db_subnet_group().db_subnet_group_name(name).send()).map(drop)
    }

    /// A DB parameter group with its tags (two calls: DescribeDBParameterGroups carries no tags),
    /// `None` if there is none of this name.
    pub async fn parameter_group(&self, name: &str) -> Result<Option<DbParameterGroup>, CloudError> {
        let Some(mut group) = self.describe_parameter_groups(Some(name)).await?.into_iter().next() else {
            return Ok(None);
        };
        group.tags = Some(self.tags(&group.arn).await?);
        Ok(Some(group))
    }

    /// A DB parameter group without its tags (one call; `tags` is `None`), `None` if there is none.
    pub async fn parameter_group_untagged(&self, name: &str) -> Result<Option<DbParameterGroup>, CloudError> {
        Ok(self.describe_parameter_groups(Some(name)).await?.into_iter().next())
    }

    /// Every DB parameter group of the account in this region (RDS's default groups included), a
    /// page of 100 per call, without their tags: one listing serves every Database of a sweep.
    pub async fn parameter_groups(&self) -> Result<Vec<DbParameterGroup>, CloudError> {
        self.describe_parameter_groups(None).await
    }

    async fn describe_parameter_groups(&self, name: Option<&str>) -> Result<Vec<DbParameterGroup>, CloudError> {
        all_pages(|marker| async move {
            let req = self
                .client
                .describe_db_parameter_groups()
                .set_db_parameter_group_name(name.map(str::to_string))
                .max_records(PAGE)
                .set_marker(marker);
            let Some(page) = call!("DescribeDBParameterGroups", req.send()).optional()? else {
                return Ok((vec![], None));
            };
            let groups = page.db_parameter_groups.unwrap_or_default().into_iter().map(|g| DbParameterGroup {
                name: g.db_parameter_group_name.unwrap_or_default(),
                arn: g.db_parameter_group_arn.unwrap_or_default(),
                family: g.db_parameter_group_family.unwrap_or_default(),
                description: g.description.unwrap_or_default(),
                tags: None,
            });
            Ok((groups.collect(), page.marker))
        })
        .await
    }

    /// The parameters set by the user in a DB parameter group (not the engine defaults), by name.
    pub async fn user_parameters(&self, name: &str) -> Result<BTreeMap<String, String>, CloudError> {
        let values = all_pages(|marker| async move {
            let page = call!(
                "DescribeDBParameters",
                self.client
                    .describe_db_parameters()
                    .db_parameter_group_name(name)
                    .source("user")
                    .max_records(PAGE)
                    .set_marker(marker)
                    .send()
            )?;
            let values = page.parameters.unwrap_or_default().into_iter();
            Ok((values.filter_map(|p| Some((p.parameter_name?, p.parameter_value?))).collect(), page.marker))
        })
        .await?;
        Ok(values.into_iter().collect())
    }

    /// Creates a DB parameter group with its tags (all values at the engine defaults).
    pub async fn create_parameter_group(
        &self,
        name: &str,
        family: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), CloudError> {
        let req = self
            .client
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(family)
            .description(description)
            .set_tags(Some(tag_list(tags)));
        call!("CreateDBParameterGroup", req.send()).map(drop)
    }

    /// Sets parameters in a DB parameter group: dynamic ones take effect at once, static ones at
    /// the instance's next reboot (its parameter group then reads `pending-reboot`).
    pub async fn modify_parameters(&self, name: &str, values: &BTreeMap<String, String>) -> Result<(), CloudError> {
        if values.is_empty() {
            return Ok(());
        }
        let types = self.apply_types(name, values.keys()).await?;
        let parameters: Vec<_> = values
            .iter()
            .map(|(k, v)| {
                t::Parameter::builder()
                    .parameter_name(k)
                    .parameter_value(v)
                    .apply_method(apply_method(types.get(k).map(String::as_str)))
                    .build()
            })
            .collect();
        for chunk in parameters.chunks(PARAMETERS_PER_CALL) {
            let req = self
                .client
                .modify_db_parameter_group()
                .db_parameter_group_name(name)
                .set_parameters(Some(chunk.to_vec()));
            call!("ModifyDBParameterGroup", req.send())?;
        }
        Ok(())
    }

    /// Returns parameters of a DB parameter group to their engine defaults (dynamic ones at once,
    /// static ones at the next reboot).
    pub async fn reset_parameters(&self, name: &str, names: &[String]) -> Result<(), CloudError> {
        if names.is_empty() {
            return Ok(());
        }
        let types = self.apply_types(name, names.iter()).await?;
        let parameters: Vec<_> = names
            .iter()
            .map(|k| {
                t::Parameter::builder()
                    .parameter_name(k)
                    .apply_method(apply_method(types.get(k).map(String::as_str)))
                    .build()
            })
            .collect();
        for chunk in parameters.chunks(PARAMETERS_PER_CALL) {
            let req = self
                .client
                .reset_db_parameter_group()
                .db_parameter_group_name(name)
                .reset_all_parameters(false)
                .set_parameters(Some(chunk.to_vec()));
            call!("ResetDBParameterGroup", req.send())?;
        }
        Ok(())
    }

    /// The `ApplyType` (`static` or `dynamic`) of the named parameters, from the group's own
    /// parameter list (every parameter of its family, engine defaults included), read page by page
    /// only until all of them are found.
    async fn apply_types<'a>(
        &self,
        group: &str,
        names: impl Iterator<Item = &'a String>,
    ) -> Result<HashMap<String, String>, CloudError> {
        let mut wanted: std::collections::HashSet<&str> = names.map(String::as_str).collect();
        let mut found = HashMap::new();
        let mut marker = None;
        while !wanted.is_empty() {
            let page = call!(
                "DescribeDBParameters",
                self.client
                    .describe_db_parameters()
                    .db_parameter_group_name(group)
                    .max_records(PAGE)
                    .set_marker(marker)
                    .send()
            )?;
            for p in page.parameters.unwrap_or_default() {
                if let (Some(name), Some(apply_type)) = (p.parameter_name, p.apply_type)
                    && wanted.remove(name.as_str())
                {
                    found.insert(name, apply_type);
                }
            }
            match page.marker {
                Some(next) if !next.is_empty() => marker = Some(next),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Deletes a DB parameter group; `Busy` while an instance still uses it.
    pub async fn delete_parameter_group(&self, name: &str) -> Result<(), CloudError> {
        call!("DeleteDBParameterGroup", self.client.delete_db_parameter_group().db_parameter_group_name(name).send())
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_engines_major_versions() {
        for (engine, version, family) in [
            ("postgres", "15.7", "postgres15"),
            ("postgres", "16.3", "postgres16"),
            ("postgres", "16", "postgres16"),
            ("postgres", "9.6.24", "postgres9.6"),
            ("mysql", "8.0.35", "mysql8.0"),
            ("mysql", "8.0", "mysql8.0"),
            ("mysql", "5.7.44", "mysql5.7"),
            ("mariadb", "10.11.6", "mariadb10.11"),
        ] {
            assert_eq!(default_family(engine, version), family, "{engine} {version}");
        }
    }

    #[test]
    fn major_versions() {
        assert_eq!(major_version("postgres", "15.7"), "15");
        assert_eq!(major_version("postgres", "9.6.24"), "9.6");
        assert_eq!(major_version("mysql", "8.4.3"), "8.4");
        assert_ne!(major_version("postgres", "15.7"), major_version("postgres", "16.1"));
        assert_eq!(major_version("postgres", "15.4"), major_version("postgres", "15.7"));
    }

    #[test]
    fn dynamic_parameters_apply_at_once_the_rest_at_reboot() {
        assert_eq!(apply_method(Some("dynamic")), t::ApplyMethod::Immediate);
        assert_eq!(apply_method(Some("static")), t::ApplyMethod::PendingReboot);
        assert_eq!(apply_method(None), t::ApplyMethod::PendingReboot);
    }

    #[test]
    fn an_instance_reads_from_rds_shapes() {
        let db = t::DbInstance::builder()
            .db_instance_identifier("db1")
            .db_instance_status("available")
            .vpc_security_groups(
                t::VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-new").status("active").build(),
            )
            .vpc_security_groups(
                t::VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-old").status("removing").build(),
            )
            .db_parameter_groups(
                t::DbParameterGroupStatus::builder()
                    .db_parameter_group_name("pg")
                    .parameter_apply_status("pending-reboot")
                    .build(),
            )
            .pending_modified_values(t::PendingModifiedValues::builder().db_instance_class("db.t3.medium").build())
            .tag_list(t::Tag::builder().key("owner").value("me").build())
            .build();
        let db = instance_of(db);
        assert_eq!(db.security_group_ids, ["sg-new"]);
        assert_eq!(
            db.parameter_group,
            Some(ParameterGroupMembership { name: "pg".into(), apply_status: "pending-reboot".into() })
        );
        assert_eq!(db.pending.class.as_deref(), Some("db.t3.medium"));
        assert!(!db.pending.is_empty());
        assert_eq!(db.endpoint, None);
        assert_eq!(db.tags, BTreeMap::from([("owner".to_string(), "me".to_string())]));
    }

    #[test]
    fn an_empty_modification_is_one_that_only_says_when() {
        assert!(DbModification { apply_immediately: true, ..Default::default() }.is_empty());
        assert!(!DbModification { backup_retention_days: Some(7), ..Default::default() }.is_empty());
        assert!(!DbModification { enable_log_exports: vec!["postgresql".into()], ..Default::default() }.is_empty());
    }
}
