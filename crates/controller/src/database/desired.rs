//! What a Database spec means in RDS and EC2: pure, no I/O. One object owns a DB subnet group, a
//! DB parameter group, a security group and the DB instance, all under deterministic names.

use std::collections::{BTreeMap, BTreeSet};

use stackwright_api::database::{DatabaseDeletionPolicy, DatabaseSpec, LogExport};
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::rds::{NewDbInstance, default_family};

/// RDS identifiers (instances, subnet and parameter groups, snapshots): at most 63 characters,
/// a letter first, no two hyphens in a row, no hyphen last.
pub const RDS_NAME_MAX: usize = 63;

/// Everything a Database asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDatabase {
    pub region: String,
    pub tags: BTreeMap<String, String>,
    /// The DB instance identifier.
    pub identifier: String,
    pub subnet_group: String,
    /// The parameter group's name, which carries its family: a major version upgrade needs a
    /// group of the new family, so it gets a new group and the old one goes afterwards.
    pub parameter_group: String,
    /// The parameter group family, from engine and major version (`postgres15`).
    pub family: String,
    pub parameters: BTreeMap<String, String>,
    /// The name of the security group (unique in its VPC).
    pub security_group: String,
    pub port: i32,
    pub instance: InstanceSettings,
    /// Apply deferred changes now rather than in the maintenance window.
    pub apply_immediately: bool,
    pub deletion_policy: DatabaseDeletionPolicy,
    /// The final snapshot's identifier: deterministic for this object, and different for a later
    /// object of the same name (its uid is in it), so it never collides with an older snapshot.
    pub final_snapshot: String,
    /// The name of the `<name>-connection` Secret.
    pub connection_secret: String,
}

/// The settings of the DB instance that the spec decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceSettings {
    pub engine: &'static str,
    pub engine_version: String,
    pub class: String,
    pub allocated_storage_gib: i32,
    pub max_allocated_storage_gib: Option<i32>,
    pub storage_type: &'static str,
    pub iops: Option<i32>,
    pub multi_az: bool,
    pub db_name: String,
    pub master_username: String,
    pub backup_retention_days: i32,
    pub backup_window: Option<String>,
    pub maintenance_window: Option<String>,
    pub performance_insights: bool,
    pub log_exports: BTreeSet<String>,
    pub deletion_protection: bool,
}

pub fn desired(spec: &DatabaseSpec, id: &ObjectIdentity, default_region: &str) -> DesiredDatabase {
    let engine = spec.engine.as_str();
    let identifier = rds_name(id, "");
    let family = default_family(engine, &spec.version);
    DesiredDatabase {
        region: spec.region.clone().unwrap_or_else(|| default_region.to_string()),
        tags: id.tags(&spec.tags),
        subnet_group: rds_name(id, "subnets"),
        parameter_group: rds_name(id, &format!("params-{family}")),
        family,
        parameters: spec.parameters.clone(),
        security_group: id.physical_name("db", 255),
        port: spec.engine.port(),
        instance: InstanceSettings {
            engine,
            engine_version: spec.version.clone(),
            class: spec.instance_class.clone(),
            allocated_storage_gib: spec.storage.size_gib,
            max_allocated_storage_gib: spec.storage.max_size_gib,
            storage_type: spec.storage.type_.as_str(),
            iops: spec.storage.iops,
            multi_az: spec.multi_az,
            db_name: spec.database_name.clone(),
            master_username: spec.master_username.clone(),
            backup_retention_days: spec.backup.retention_days,
            backup_window: spec.backup.window.clone(),
            maintenance_window: spec.maintenance_window.clone(),
            performance_insights: spec.performance_insights,
            log_exports: spec.log_exports.iter().map(|l| log_export(*l).to_string()).collect(),
            deletion_protection: spec.deletion_protection,
        },
        apply_immediately: !spec.apply_during_maintenance_window,
        deletion_policy: spec.deletion_policy,
        final_snapshot: format!("{identifier}-final-{}", id.short_uid()),
        connection_secret: format!("{}-connection", id.name),
        identifier,
    }
}

impl DesiredDatabase {
    /// The CreateDBInstance request, once the subnet group and security group exist.
    pub fn new_instance(&self, security_group_id: &str) -> NewDbInstance {
        let i = &self.instance;
        NewDbInstance {
            identifier: self.identifier.clone(),
            engine: i.engine.to_string(),
            engine_version: i.engine_version.clone(),
            class: i.class.clone(),
            allocated_storage_gib: i.allocated_storage_gib,
            max_allocated_storage_gib: i.max_allocated_storage_gib,
            storage_type: i.storage_type.to_string(),
            iops: i.iops,
            multi_az: i.multi_az,
            db_name: Some(i.db_name.clone()),
            master_username: i.master_username.clone(),
            backup_retention_days: i.backup_retention_days,
            backup_window: i.backup_window.clone(),
            maintenance_window: i.maintenance_window.clone(),
            parameter_group: Some(self.parameter_group.clone()),
            subnet_group: self.subnet_group.clone(),
            security_group_ids: vec![security_group_id.to_string()],
            performance_insights: i.performance_insights,
            log_exports: i.log_exports.iter().cloned().collect(),
            deletion_protection: i.deletion_protection,
            copy_tags_to_snapshot: true,
            tags: self.tags.clone(),
        }
    }
}

fn log_export(l: LogExport) -> &'static str {
    match l {
        LogExport::Postgresql => "postgresql",
        LogExport::Upgrade => "upgrade",
    }
}

/// A physical name that RDS accepts: a letter first, at most 63 characters.
fn rds_name(id: &ObjectIdentity, purpose: &str) -> String {
    id.physical_name_letter_first(purpose, RDS_NAME_MAX, 'd')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "prod".into(),
            kind: "Database".into(),
            namespace: "paperwurks".into(),
            name: name.into(),
            uid: "3f1c9e2a-77b1-4c1e-9d1e-0123456789ab".into(),
        }
    }

    fn spec(yaml: &str) -> DatabaseSpec {
        serde_yaml::from_str(yaml).expect("valid spec")
    }

    const PAPERWURKS_PROD: &str = r#"
region: eu-west-2
tags: {app: paperwurks}
version: "15.8"
instanceClass: db.t3.medium
storage: {sizeGiB: 100, type: gp3}
multiAZ: true
databaseName: paperwurks
masterUsername: paperwurks_admin
backup: {retentionDays: 30}
parameters: {rds.force_ssl: "1"}
network: {appStack: paperwurks}
"#;

    #[test]
    fn paperwurks_prod_is_a_multi_az_postgres_15_with_its_own_groups() {
        let d = desired(&spec(PAPERWURKS_PROD), &id("paperwurks-db"), "us-east-1");
        assert_eq!(d.region, "eu-west-2");
        assert_eq!(d.family, "postgres15");
        assert_eq!(d.port, 5432);
        assert_eq!(d.parameters["rds.force_ssl"], "1");
        assert!(d.identifier.starts_with("prod-paperwurks-paperwurks-db-"), "{}", d.identifier);
        assert!(d.identifier.len() <= RDS_NAME_MAX);
        assert_ne!(d.subnet_group, d.parameter_group);
        assert_eq!(d.tags["app"], "paperwurks");
        assert_eq!(d.tags["stackwright.io/owner"], "Database/paperwurks/paperwurks-db");
        let i = &d.instance;
        assert_eq!((i.engine, i.engine_version.as_str(), i.class.as_str()), ("postgres", "15.8", "db.t3.medium"));
        assert_eq!((i.allocated_storage_gib, i.storage_type, i.multi_az), (100, "gp3", true));
        assert_eq!(i.backup_retention_days, 30);
        assert!(d.apply_immediately);
        assert_eq!(d.deletion_policy, DatabaseDeletionPolicy::Snapshot);
        assert_eq!(d.connection_secret, "paperwurks-db-connection");
        assert_eq!(d.final_snapshot, format!("{}-final-3f1c9e2a", d.identifier));
    }

    #[test]
    fn the_create_request_carries_groups_tags_and_the_managed_settings() {
        let d = desired(
            &spec(
                "{version: '16.4', instanceClass: db.t4g.micro, logExports: [postgresql], performanceInsights: true, storage: {sizeGiB: 20, maxSizeGiB: 100}, network: {appStack: a}}",
            ),
            &id("db"),
            "us-east-1",
        );
        let new = d.new_instance("sg-0123");
        assert_eq!(new.security_group_ids, vec!["sg-0123".to_string()]);
        assert_eq!(new.subnet_group, d.subnet_group);
        assert_eq!(new.parameter_group.as_deref(), Some(d.parameter_group.as_str()));
        assert_eq!(new.max_allocated_storage_gib, Some(100));
        assert_eq!(new.log_exports, vec!["postgresql".to_string()]);
        assert!(new.performance_insights && new.copy_tags_to_snapshot);
        assert_eq!(new.db_name.as_deref(), Some("app"));
        assert_eq!(new.master_username, "app_admin");
        assert_eq!(new.tags, d.tags);
        assert_eq!(d.family, "postgres16");
    }

    #[test]
    fn rds_names_start_with_a_letter_and_fit() {
        let mut digits = id("db");
        digits.cluster_id = "42".into();
        let d = desired(
            &spec("{version: '15.7', instanceClass: db.t3.small, network: {appStack: a}}"),
            &digits,
            "us-east-1",
        );
        for name in [&d.identifier, &d.subnet_group, &d.parameter_group] {
            assert!(name.starts_with(|c: char| c.is_ascii_lowercase()), "{name}");
            assert!(name.len() <= RDS_NAME_MAX && !name.contains("--") && !name.ends_with('-'), "{name}");
        }
        let mut long = id(&"x".repeat(200));
        long.namespace = "n".repeat(63);
        let d =
            desired(&spec("{version: '15.7', instanceClass: db.t3.small, network: {appStack: a}}"), &long, "us-east-1");
        assert!(d.identifier.len() <= RDS_NAME_MAX, "{}", d.identifier);
    }

    #[test]
    fn a_major_upgrade_gets_a_parameter_group_of_its_family() {
        let v15 = desired(&spec(PAPERWURKS_PROD), &id("db"), "us-east-1");
        let v16 = desired(&spec(&PAPERWURKS_PROD.replace("15.8", "16.4")), &id("db"), "us-east-1");
        assert_ne!(v15.parameter_group, v16.parameter_group);
        assert!(v16.parameter_group.contains("postgres16"), "{}", v16.parameter_group);
        assert_eq!(v15.identifier, v16.identifier);
    }

    #[test]
    fn maintenance_window_application_is_a_choice() {
        let d = desired(
            &spec(
                "{version: '15.7', instanceClass: db.t3.small, applyDuringMaintenanceWindow: true, network: {appStack: a}}",
            ),
            &id("db"),
            "us-east-1",
        );
        assert!(!d.apply_immediately);
    }
}
