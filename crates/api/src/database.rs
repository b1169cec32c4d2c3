//! `Database`: an RDS PostgreSQL instance with its subnet group, parameter group, security group,
//! RDS-managed master password and the `<name>-connection` Secret.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::CommonStatus;
use crate::network::{Endpoint, NetworkRef, REGION_PATTERN};

/// An RDS database instance owned by this object.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "stackwright.io",
    version = "v1alpha1",
    kind = "Database",
    namespaced,
    status = "DatabaseStatus",
    shortname = "sdb",
    category = "stackwright",
    doc = "An RDS PostgreSQL database: always encrypted at rest, never publicly accessible, its master password managed by RDS in AWS Secrets Manager, reachable only from the AppStacks that bind to it.",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Status", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].reason"),
    printcolumn(name = "Endpoint", type_ = "string", json_path = ".status.endpoint.address"),
    printcolumn(
        name = "Cost",
        type_ = "string",
        json_path = ".status.estimatedMonthlyCostUSD",
        description = "Estimated fixed monthly cost in USD, from the built-in price table"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("!has(self.region) || !has(oldSelf.region) || self.region == oldSelf.region")
        .message("region is immutable: a database cannot move between regions (create a new Database and restore a snapshot)"),
    validation = Rule::new("!has(self.network.subnetIds) || size(self.network.subnetIds) >= 2")
        .message("network.subnetIds: RDS needs subnets in at least two availability zones, list two or more")
        .field_path(".network.subnetIds"),
)]
pub struct DatabaseSpec {
    /// AWS region for this database; defaults to the controller's region. Immutable once set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = REGION_PATTERN), length(max = 32))]
    pub region: Option<String>,

    /// Tags added to every AWS resource of this database beside the stackwright.io ownership tags.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 40))]
    pub tags: BTreeMap<String, String>,

    /// Database engine: `postgres`. Immutable.
    #[serde(default)]
    #[x_kube(validation = Rule::new("self == oldSelf").message("engine is immutable: create a new Database and migrate the data"))]
    pub engine: DatabaseEngine,

    /// Engine version, e.g. `15.7`, or a major version such as `16` for the newest minor RDS offers.
    /// Raising it upgrades in place (major upgrades included); RDS cannot downgrade.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+){0,2}(-[a-z0-9.]+)?$"), length(min = 1, max = 32))]
    pub version: String,

    /// RDS instance class, e.g. `db.t3.small`, `db.m7g.large`. Changing it resizes in place.
    #[schemars(regex(pattern = r"^db\.[a-z0-9-]+\.[a-z0-9]+$"), length(max = 64))]
    pub instance_class: String,

    /// Allocated storage. It can grow (in place) but never shrink.
    #[serde(default)]
    pub storage: DatabaseStorage,

    /// Run a synchronous standby in a second availability zone with automatic failover.
    #[serde(default, rename = "multiAZ")]
    pub multi_az: bool,

    /// Name of the database created in the instance (the connection Secret's `dbname`). Immutable.
    #[serde(default = "default_database_name")]
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]*$"), length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("databaseName is immutable: RDS cannot rename the initial database"))]
    pub database_name: String,

    /// Name of the master user (the connection Secret's `username`). Its password is generated and
    /// rotated by RDS in AWS Secrets Manager and never passes through the controller. Immutable.
    #[serde(default = "default_master_username")]
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]*$"), length(min = 1, max = 63))]
    #[x_kube(
        validation = Rule::new("self == oldSelf").message("masterUsername is immutable: RDS cannot rename the master user"),
        validation = Rule::new("self != 'rdsadmin'").message("masterUsername: rdsadmin is reserved by RDS"),
    )]
    pub master_username: String,

    /// Automated backups.
    #[serde(default)]
    pub backup: Backup,

    /// Weekly window (UTC) for maintenance such as minor version patches, e.g.
    /// `sun:04:30-sun:05:30`; at least 30 minutes. Default: a window RDS picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(
            pattern = r"^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$"
        ),
        length(max = 19)
    )]
    pub maintenance_window: Option<String>,

    /// Engine parameters (e.g. `max_connections: "200"`), set in a DB parameter group this object
    /// owns. Static parameters take effect at the next reboot.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 200))]
    pub parameters: BTreeMap<String, String>,

    /// Turn on Performance Insights (7 days of retention, the free tier).
    #[serde(default)]
    pub performance_insights: bool,

    /// Logs published to CloudWatch Logs: `postgresql` (the server log) and/or `upgrade`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 2))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub log_exports: Vec<LogExport>,

    /// Where the instance is placed: `appStack` (that stack's VPC and subnets) or explicit `vpcId`
    /// + `subnetIds`.
    pub network: NetworkRef,

    /// RDS deletion protection: while true, RDS refuses to delete the instance (and deleting this
    /// object stays blocked until it is turned off).
    #[serde(default)]
    pub deletion_protection: bool,

    /// What happens to the instance when this object is deleted: `Snapshot` (default) takes a final
    /// snapshot and then deletes it, `Delete` deletes it without one, `Retain` keeps it.
    #[serde(default)]
    pub deletion_policy: DatabaseDeletionPolicy,

    /// Changes to instance class, storage, backups, multi-AZ and parameters are applied at once
    /// (`ApplyImmediately`) unless this is true, when RDS holds them for the next maintenance
    /// window; `status.pendingModifications` lists what is waiting.
    #[serde(default)]
    pub apply_during_maintenance_window: bool,
}

fn default_database_name() -> String {
    "app".into()
}

fn default_master_username() -> String {
    "app_admin".into()
}

/// Database engine.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseEngine {
    /// PostgreSQL (RDS engine `postgres`).
    #[default]
    Postgres,
}

impl DatabaseEngine {
    /// The RDS engine name.
    pub fn as_str(self) -> &'static str {
        match self {
            DatabaseEngine::Postgres => "postgres",
        }
    }

    /// The port the engine listens on.
    pub fn port(self) -> i32 {
        match self {
            DatabaseEngine::Postgres => 5432,
        }
    }
}

/// Allocated storage.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.sizeGiB >= oldSelf.sizeGiB")
        .message("storage.sizeGiB cannot shrink (InvalidSpec): RDS can only grow allocated storage; to get a smaller volume create a new Database and restore into it"),
    validation = Rule::new("!has(self.maxSizeGiB) || self.maxSizeGiB > self.sizeGiB")
        .message("storage.maxSizeGiB must be greater than sizeGiB: it is the ceiling storage autoscaling may grow to"),
    validation = Rule::new("!(self.type in ['io1', 'io2']) || (has(self.iops) && self.sizeGiB >= 100)")
        .message("storage type io1 and io2 need iops and a sizeGiB of at least 100"),
    validation = Rule::new("self.type != 'gp2' || !has(self.iops)")
        .message("storage.iops cannot be set with type gp2 (its IOPS follow from the size); use gp3 or io1/io2"),
    validation = Rule::new("self.type != 'gp3' || !has(self.iops) || self.sizeGiB >= 400")
        .message("storage.iops with gp3 can be set only from 400 GiB; below that RDS gives gp3 a fixed 3000 IOPS"),
)]
pub struct DatabaseStorage {
    /// Allocated storage in GiB (20 to 65536). It may grow (in place, without downtime) but not shrink.
    #[serde(rename = "sizeGiB", default = "default_size_gib")]
    #[schemars(range(min = 20, max = 65536))]
    pub size_gib: i32,

    /// Storage type: `gp3` (default), `gp2`, `io1` or `io2`.
    #[serde(rename = "type", default)]
    pub type_: StorageType,

    /// Turn on storage autoscaling: RDS grows the volume as it fills, up to this many GiB.
    #[serde(rename = "maxSizeGiB", default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 21, max = 65536))]
    pub max_size_gib: Option<i32>,

    /// Provisioned IOPS: required with `io1`/`io2`, optional with `gp3` from 400 GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1000, max = 256000))]
    pub iops: Option<i32>,
}

fn default_size_gib() -> i32 {
    20
}

impl Default for DatabaseStorage {
    fn default() -> Self {
        DatabaseStorage { size_gib: default_size_gib(), type_: StorageType::default(), max_size_gib: None, iops: None }
    }
}

/// EBS storage type of an RDS instance.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StorageType {
    /// General purpose SSD, 3000 IOPS baseline (default).
    #[default]
    Gp3,
    /// Previous-generation general purpose SSD.
    Gp2,
    /// Provisioned IOPS SSD.
    Io1,
    /// Provisioned IOPS SSD, higher durability.
    Io2,
}

impl StorageType {
    /// The RDS API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageType::Gp3 => "gp3",
            StorageType::Gp2 => "gp2",
            StorageType::Io1 => "io1",
            StorageType::Io2 => "io2",
        }
    }
}

/// Automated backups.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backup {
    /// Days automated backups are kept (0 to 35; 0 turns automated backups off).
    #[serde(default = "default_retention_days")]
    #[schemars(range(min = 0, max = 35))]
    pub retention_days: i32,

    /// Daily window (UTC) in which backups are taken, e.g. `03:00-04:00`; at least 30 minutes and
    /// not overlapping maintenanceWindow. Default: a window RDS picks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$"), length(max = 11))]
    pub window: Option<String>,
}

fn default_retention_days() -> i32 {
    7
}

impl Default for Backup {
    fn default() -> Self {
        Backup { retention_days: default_retention_days(), window: None }
    }
}

/// A log RDS publishes to CloudWatch Logs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogExport {
    /// The PostgreSQL server log.
    Postgresql,
    /// The major version upgrade log.
    Upgrade,
}

/// What happens to the RDS instance when its object is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DatabaseDeletionPolicy {
    /// Take a final snapshot, then delete the instance (default). The snapshot is kept.
    #[default]
    Snapshot,
    /// Delete the instance without a final snapshot.
    Delete,
    /// Keep the instance; only the Kubernetes object goes away.
    Retain,
}

/// Observed state of a Database.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    /// Where to connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Endpoint>,
    /// The RDS instance status (`creating`, `available`, `modifying`, `backing-up`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_status: Option<String>,
    /// The engine version actually running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    /// ARN of the Secrets Manager secret in which RDS keeps the master password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_user_secret_arn: Option<String>,
    /// Name of the Secret in this namespace with `host`, `port`, `dbname`, `username` and
    /// `passwordSecretArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_secret: Option<String>,
    /// Identifier of the final snapshot taken on deletion (`deletionPolicy: Snapshot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_snapshot_id: Option<String>,
    /// Changes RDS has accepted but not applied yet (setting: pending value), e.g. during a
    /// modification or while waiting for the maintenance window.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_modifications: BTreeMap<String, String>,
    #[serde(flatten)]
    pub common: CommonStatus,
}

#[cfg(test)]
mod tests {
    use kube::CustomResourceExt;

    use super::*;

    const ACCUNODE_DB: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: Database
metadata: {name: accunode-db, namespace: accunode}
spec:
  region: us-east-1
  engine: postgres
  version: "15.7"
  instanceClass: db.t3.small
  storage: {sizeGiB: 20, type: gp3}
  databaseName: accunode
  masterUsername: accunode_admin
  backup: {retentionDays: 7, window: "03:00-04:00"}
  maintenanceWindow: "sun:04:30-sun:05:30"
  parameters: {max_connections: "200"}
  logExports: [postgresql]
  network: {appStack: accunode}
"#;

    #[test]
    fn accunode_database_round_trips_with_defaults() {
        let db: Database = serde_yaml::from_str(ACCUNODE_DB).expect("valid manifest");
        let s = &db.spec;
        assert_eq!(s.engine, DatabaseEngine::Postgres);
        assert_eq!((s.storage.size_gib, s.storage.type_, s.storage.max_size_gib), (20, StorageType::Gp3, None));
        assert_eq!(s.backup, Backup { retention_days: 7, window: Some("03:00-04:00".into()) });
        assert_eq!(s.network.app_stack.as_deref(), Some("accunode"));
        assert!(!s.multi_az && !s.performance_insights && !s.deletion_protection && !s.apply_during_maintenance_window);
        assert_eq!(s.deletion_policy, DatabaseDeletionPolicy::Snapshot);
        assert_eq!(s.parameters["max_connections"], "200");

        let again: Database = serde_yaml::from_str(&serde_yaml::to_string(&db).expect("ser")).expect("de");
        assert_eq!(again.spec, db.spec);
    }

    #[test]
    fn minimal_database_gets_documented_defaults() {
        let spec: DatabaseSpec = serde_yaml::from_str(
            "version: \"16\"\ninstanceClass: db.t3.micro\nnetwork: {vpcId: vpc-0123abcd, subnetIds: [subnet-0123abcd, subnet-4567cdef]}",
        )
        .expect("valid");
        assert_eq!(spec.database_name, "app");
        assert_eq!(spec.master_username, "app_admin");
        assert_eq!(spec.storage, DatabaseStorage::default());
        assert_eq!(spec.backup.retention_days, 7);
        assert!(spec.log_exports.is_empty());
        assert_eq!(spec.engine.port(), 5432);
    }

    #[test]
    fn paperwurks_prod_multi_az_and_autoscaling_storage() {
        let spec: DatabaseSpec = serde_yaml::from_str(
            r#"
version: "15.8"
instanceClass: db.t3.medium
storage: {sizeGiB: 100, maxSizeGiB: 500}
multiAZ: true
backup: {retentionDays: 30}
deletionProtection: true
applyDuringMaintenanceWindow: true
network: {appStack: paperwurks}
"#,
        )
        .expect("valid");
        assert!(spec.multi_az && spec.deletion_protection && spec.apply_during_maintenance_window);
        assert_eq!(spec.storage.max_size_gib, Some(500));
        let yaml = serde_yaml::to_string(&spec).expect("ser");
        assert!(
            yaml.contains("multiAZ: true") && yaml.contains("sizeGiB: 100") && yaml.contains("maxSizeGiB: 500"),
            "{yaml}"
        );
    }

    #[test]
    fn status_uses_the_api_field_names() {
        let status = DatabaseStatus {
            endpoint: Some(Endpoint { address: "db.example".into(), port: 5432 }),
            final_snapshot_id: Some("snap".into()),
            pending_modifications: BTreeMap::from([("DBInstanceClass".into(), "db.t3.medium".into())]),
            common: CommonStatus { observed_generation: Some(2), ..CommonStatus::default() },
            ..DatabaseStatus::default()
        };
        let json = serde_json::to_value(&status).expect("ser");
        assert_eq!(json["endpoint"]["port"], 5432);
        assert_eq!(json["finalSnapshotId"], "snap");
        assert_eq!(json["pendingModifications"]["DBInstanceClass"], "db.t3.medium");
        assert_eq!(json["observedGeneration"], 2);
    }

    #[test]
    fn crd_has_names_columns_defaults_and_rules() {
        let crd = Database::crd();
        assert_eq!(crd.spec.names.short_names, Some(vec!["sdb".to_string()]));
        assert_eq!(crd.spec.names.categories, Some(vec!["stackwright".to_string()]));
        let version = &crd.spec.versions[0];
        let columns: Vec<(String, String)> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| (c.name.clone(), c.json_path.clone()))
            .collect();
        assert_eq!(columns[2], ("Endpoint".into(), ".status.endpoint.address".into()));
        assert_eq!(
            columns.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
            ["Ready", "Status", "Endpoint", "Cost", "Age"]
        );

        let json = serde_json::to_string(&crd).expect("ser");
        for rule in [
            "self.sizeGiB >= oldSelf.sizeGiB",
            "!has(self.maxSizeGiB) || self.maxSizeGiB > self.sizeGiB",
            "has(self.appStack) ? !has(self.vpcId) && !has(self.subnetIds) : has(self.vpcId) && has(self.subnetIds)",
            "!has(self.region) || !has(oldSelf.region) || self.region == oldSelf.region",
            "engine is immutable",
            "databaseName is immutable",
            "masterUsername is immutable",
        ] {
            assert!(json.contains(rule), "missing {rule}");
        }
        let spec = &version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .expect("schema")
            .properties
            .as_ref()
            .expect("props")["spec"];
        let props = spec.properties.as_ref().expect("spec props");
        assert_eq!(props["deletionPolicy"].default.as_ref().map(|d| d.0.clone()), Some(serde_json::json!("Snapshot")));
        assert_eq!(
            props["storage"].default.as_ref().map(|d| d.0.clone()),
            Some(serde_json::json!({"sizeGiB": 20, "type": "gp3"}))
        );
        assert!(props.contains_key("multiAZ") && props.contains_key("applyDuringMaintenanceWindow"));
        assert_eq!(
            spec.required.as_deref(),
            Some(&["instanceClass".to_string(), "network".into(), "version".into()][..])
        );
    }
}
