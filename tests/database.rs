//! Database end to end: the real `stackwright` binary against a real kube-apiserver and the
//! project's AWS emulator (moto with faithful RDS lifecycles: creating → backing-up → available,
//! modifying, deleting, final snapshots). Objects go in through the API server; AWS state is read
//! with plain SDK clients that share no code with the controller.
//!
//! Where a test needs a stack's network or task security group, it applies a real AppStack,
//! which the same controller reconciles.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
use k8s_openapi::api::core::v1::{Event, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use stackwright_api::{AppStack, Database};
use support::{Env, aws_calls, env, eventually};

const CONVERGE: Duration = Duration::from_secs(120);

fn condition(d: &Database, type_: &str) -> Option<(String, String, String)> {
    let c = d.status.as_ref()?.common.conditions.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn ready(d: &Database) -> bool {
    condition(d, "Ready").is_some_and(|(s, _, _)| s == "True")
        && d.status.as_ref().and_then(|s| s.common.observed_generation) == d.metadata.generation
}

fn stalled_with(d: &Database, reason: &str) -> bool {
    condition(d, "Stalled").is_some_and(|(s, r, _)| s == "True" && r == reason)
}

async fn wait_db(api: &Api<Database>, name: &str, what: &str, pred: impl Fn(&Database) -> bool) -> Database {
    eventually(what, CONVERGE, || async { api.get_opt(name).await.ok().flatten().filter(|d| pred(d)) }).await
}

fn database(name: &str, spec: &str) -> String {
    format!("apiVersion: stackwright.io/v1alpha1\nkind: Database\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn explicit_network(vpc: &str, subnets: &[String]) -> String {
    format!("  network: {{vpcId: {vpc}, subnetIds: [{}]}}\n", subnets.join(", "))
}

struct Fixture {
    env: &'static Env,
    ns: String,
    api: Api<Database>,
    rds: aws_sdk_rds::Client,
    ec2: aws_sdk_ec2::Client,
}

async fn setup(prefix: &str) -> Fixture {
    let env = env();
    let ns = env.namespace(prefix).await;
    let config = env.sdk_config().await;
    Fixture {
        api: Api::namespaced(env.client().await, &ns),
        rds: aws_sdk_rds::Client::new(&config),
        ec2: aws_sdk_ec2::Client::new(&config),
        env,
        ns,
    }
}

async fn instance(rds: &aws_sdk_rds::Client, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
    rds.describe_db_instances().db_instance_identifier(id).send().await.ok()?.db_instances?.into_iter().next()
}

fn identifier(d: &Database) -> String {
    d.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == "rds:DBInstance").unwrap().id.clone()
}

fn resource(d: &Database, kind: &str) -> String {
    d.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == kind).unwrap().id.clone()
}

#[tokio::test]
async fn creates_modifies_reverts_drift_and_writes_nothing_in_steady_state() {
    let f = setup("db-life").await;
    let (vpc, subnets) = support::network(&f.ec2, 30).await;
    let ctl = f.env.controller(&f.ns, "dblife");
    let spec = format!(
        "  version: \"15.7\"\n  instanceClass: db.t3.small\n  storage: {{sizeGiB: 20, maxSizeGiB: 100}}\n  databaseName: app\n  masterUsername: app_admin\n  backup: {{retentionDays: 7, window: \"03:00-04:00\"}}\n  maintenanceWindow: \"sun:04:30-sun:05:30\"\n  parameters: {{max_connections: \"200\"}}\n  logExports: [postgresql]\n  tags: {{team: data}}\n{}",
        explicit_network(&vpc, &subnets)
    );
    // Every condition the database passes through, in order.
    let seen = support::record_conditions(f.api.clone()).await;
    f.env.apply(&f.ns, &database("app-db", &spec));
    let db = wait_db(&f.api, "app-db", "the database is Ready", ready).await;
    // The emulator's instance walks creating → backing-up → available: the database waited.
    let passed = seen.lock().unwrap().clone();
    let first_ready = passed.iter().position(|c| c.starts_with("Ready/")).unwrap();
    assert!(
        passed[..first_ready].iter().any(|c| c.starts_with("Reconciling/")),
        "Reconciling before Ready: {passed:?}"
    );

    // RDS holds exactly what the spec asks for, and what Stackwright always asks for.
    let id = identifier(&db);
    let i = instance(&f.rds, &id).await.unwrap();
    assert_eq!(i.db_instance_status.as_deref(), Some("available"));
    assert_eq!(i.engine.as_deref(), Some("postgres"));
    assert!(i.engine_version.as_deref().unwrap().starts_with("15.7"), "{:?}", i.engine_version);
    assert_eq!(i.db_instance_class.as_deref(), Some("db.t3.small"));
    assert_eq!((i.allocated_storage, i.max_allocated_storage), (Some(20), Some(100)));
    assert_eq!(i.storage_type.as_deref(), Some("gp3"));
    assert_eq!((i.storage_encrypted, i.publicly_accessible, i.multi_az), (Some(true), Some(false), Some(false)));
    assert_eq!(i.backup_retention_period, Some(7));
    assert_eq!(i.preferred_backup_window.as_deref(), Some("03:00-04:00"));
    assert_eq!(i.preferred_maintenance_window.as_deref(), Some("sun:04:30-sun:05:30"));
    assert_eq!(i.enabled_cloudwatch_logs_exports.clone().unwrap_or_default(), ["postgresql"]);
    assert_eq!((i.db_name.as_deref(), i.master_username.as_deref()), (Some("app"), Some("app_admin")));
    let secret_arn =
        i.master_user_secret.as_ref().and_then(|s| s.secret_arn.clone()).expect("RDS manages the password");
    let tags: BTreeMap<String, String> =
        i.tag_list.clone().unwrap_or_default().into_iter().map(|t| (t.key.unwrap(), t.value.unwrap())).collect();
    assert_eq!(tags.get("team").map(String::as_str), Some("data"));
    assert_eq!(
        tags.get("stackwright.io/owner").map(String::as_str),
        Some(format!("Database/{}/app-db", f.ns).as_str())
    );
    let param_group = i.db_parameter_groups.clone().unwrap()[0].db_parameter_group_name.clone().unwrap();
    assert_eq!(param_group, resource(&db, "rds:DBParameterGroup"));
    let params =
        f.rds.describe_db_parameters().db_parameter_group_name(&param_group).source("user").send().await.unwrap();
    let set: BTreeMap<String, String> = params
        .parameters
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| Some((p.parameter_name?, p.parameter_value?)))
        .collect();
    assert_eq!(set.get("max_connections").map(String::as_str), Some("200"));
    let subnet_group = i.db_subnet_group.clone().unwrap();
    assert_eq!(subnet_group.vpc_id.as_deref(), Some(vpc.as_str()));
    let db_group = i.vpc_security_groups.clone().unwrap()[0].vpc_security_group_id.clone().unwrap();
    assert_eq!(db_group, resource(&db, "ec2:SecurityGroup"));
    assert!(support::ingress_sources(&f.ec2, &db_group).await.is_empty(), "nobody binds to it: nobody may connect");

    // Status and the connection Secret say where to connect, and where the password is.
    let s = db.status.clone().unwrap();
    let endpoint = s.endpoint.clone().unwrap();
    assert_eq!(endpoint.port, 5432);
    assert_eq!(s.master_user_secret_arn.as_deref(), Some(secret_arn.as_str()));
    assert_eq!(s.instance_status.as_deref(), Some("available"));
    assert_eq!(s.connection_secret.as_deref(), Some("app-db-connection"));
    assert!(s.common.estimated_monthly_cost_usd.is_some(), "db.t3.small in us-east-1 is in the price table");
    let secrets: Api<Secret> = Api::namespaced(f.env.client().await, &f.ns);
    let conn = secrets.get("app-db-connection").await.unwrap();
    let data: BTreeMap<String, String> =
        conn.data.clone().unwrap().into_iter().map(|(k, v)| (k, String::from_utf8(v.0).unwrap())).collect();
    assert_eq!(
        data,
        BTreeMap::from([
            ("host".to_string(), endpoint.address.clone()),
            ("port".to_string(), "5432".to_string()),
            ("dbname".to_string(), "app".to_string()),
            ("username".to_string(), "app_admin".to_string()),
            ("passwordSecretArn".to_string(), secret_arn.clone()),
        ])
    );
    let owner = &conn.metadata.owner_references.clone().unwrap()[0];
    assert_eq!((owner.kind.as_str(), owner.uid.as_str()), ("Database", db.metadata.uid.as_deref().unwrap()));

    // Modify: a larger class, more storage, Multi-AZ on, a parameter changed.
    let changed = spec
        .replace("db.t3.small", "db.t3.medium")
        .replace("sizeGiB: 20", "sizeGiB: 30")
        .replace("max_connections: \"200\"", "max_connections: \"300\"")
        + "  multiAZ: true\n";
    f.env.apply(&f.ns, &database("app-db", &changed));
    wait_db(&f.api, "app-db", "the modified database is Ready", ready).await;
    let i = instance(&f.rds, &id).await.unwrap();
    assert_eq!(i.db_instance_class.as_deref(), Some("db.t3.medium"));
    assert_eq!((i.allocated_storage, i.multi_az), (Some(30), Some(true)));
    let params =
        f.rds.describe_db_parameters().db_parameter_group_name(&param_group).source("user").send().await.unwrap();
    assert!(
        params
            .parameters
            .unwrap_or_default()
            .iter()
            .any(|p| p.parameter_name.as_deref() == Some("max_connections")
                && p.parameter_value.as_deref() == Some("300"))
    );

    // Drift by hand: backup retention changed and a rule added to the database's group.
    f.rds
        .modify_db_instance()
        .db_instance_identifier(&id)
        .backup_retention_period(1)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let intruder = support::task_group(&f.ec2, &vpc, "intruder").await;
    f.ec2
        .authorize_security_group_ingress()
        .group_id(&db_group)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(5432)
                .to_port(5432)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&intruder).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    eventually("drift is reverted within the resync", CONVERGE, || async {
        let i = instance(&f.rds, &id).await?;
        let rules = support::ingress_sources(&f.ec2, &db_group).await;
        (i.backup_retention_period == Some(7)
            && i.db_instance_status.as_deref() == Some("available")
            && rules.is_empty())
        .then_some(())
    })
    .await;
    wait_db(&f.api, "app-db", "Ready after the drift", ready).await;

    // Steady state: resyncs read (from shared listings) and write nothing.
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let before = ctl.metrics().await;
    // Every resync reads its parameter group's values: three more reads are three more resyncs.
    let reads_before = aws_calls(&before, |op| op == "DescribeDBParameters");
    let after = eventually("three more resyncs have read RDS", CONVERGE, || async {
        let m = ctl.metrics().await;
        (aws_calls(&m, |op| op == "DescribeDBParameters") >= reads_before + 3).then_some(m)
    })
    .await;
    assert_eq!(writes(&after), writes(&before), "no AWS write in steady state");
    assert_eq!(
        support::metric(&after, "stackwright_status_writes_total{kind=\"Database\"}"),
        support::metric(&before, "stackwright_status_writes_total{kind=\"Database\"}"),
        "no status write in steady state"
    );
    assert_eq!(
        support::metric(&after, "stackwright_secret_writes_total{kind=\"Database\"}"),
        support::metric(&before, "stackwright_secret_writes_total{kind=\"Database\"}"),
        "no Secret write in steady state"
    );
}

#[tokio::test]
async fn placement_and_access_follow_the_app_stacks() {
    let f = setup("db-stacks").await;
    let (vpc, subnets) = support::network(&f.ec2, 30).await;
    let _ctl = f.env.controller_with_resync(&f.ns, "dbstacks", "10m");
    let spec = "  version: \"16.4\"\n  instanceClass: db.t4g.micro\n  network: {appStack: web}\n";
    f.env.apply(&f.ns, &database("db", spec));

    // The stack does not exist: stalled, naming it; nothing in AWS.
    let db = wait_db(&f.api, "db", "DependencyNotFound", |d| stalled_with(d, "DependencyNotFound")).await;
    assert!(condition(&db, "Stalled").unwrap().2.contains("web"));

    // It appears (a real AppStack, reconciled by the same controller): promptly (the resync is
    // ten minutes away) the database is placed in its network and admits its tasks.
    support::put_stack(f.env, &f.ns, "web", "[{database: db, envPrefix: DATABASE}]", &vpc, &subnets);
    let db = wait_db(&f.api, "db", "Ready in the stack's network", ready).await;
    let web_tasks = support::stack_tasks(f.env, &f.ns, "web").await;
    let group = resource(&db, "ec2:SecurityGroup");
    support::admits(&f.ec2, &group, &[format!("5432:{web_tasks}")]).await;

    // A second stack binds: its tasks are admitted too; it unbinds: they are not.
    support::put_stack(f.env, &f.ns, "worker", "[{database: db, envPrefix: DB}]", &vpc, &subnets);
    let worker_tasks = support::stack_tasks(f.env, &f.ns, "worker").await;
    support::admits(&f.ec2, &group, &[format!("5432:{web_tasks}"), format!("5432:{worker_tasks}")]).await;
    support::put_stack(f.env, &f.ns, "worker", "[]", &vpc, &subnets);
    support::admits(&f.ec2, &group, &[format!("5432:{web_tasks}")]).await; // the unbound worker is not

    // The web stack is deleted: its tasks lose access (and then its task group can go).
    let stacks: Api<AppStack> = Api::namespaced(f.env.client().await, &f.ns);
    stacks.delete("web", &DeleteParams::default()).await.unwrap();
    support::admits(&f.ec2, &group, &[]).await; // the deleted stack's tasks are not
    eventually("the deleted stack is gone", Duration::from_secs(120), || async {
        stacks.get_opt("web").await.unwrap().is_none().then_some(())
    })
    .await;
}

async fn snapshot_exists(rds: &aws_sdk_rds::Client, id: &str) -> bool {
    rds.describe_db_snapshots().db_snapshot_identifier(id).send().await.is_ok_and(|o| !o.db_snapshots().is_empty())
}

async fn gone(api: &Api<Database>, name: &str) {
    eventually("the Database is gone", CONVERGE, || async { api.get_opt(name).await.unwrap().is_none().then_some(()) })
        .await;
}

#[tokio::test]
async fn deletion_follows_the_policy_and_protection_holds() {
    let f = setup("db-delete").await;
    let (vpc, subnets) = support::network(&f.ec2, 30).await;
    let _ctl = f.env.controller(&f.ns, "dbdelete");
    let base = format!("  version: \"15.7\"\n  instanceClass: db.t3.micro\n{}", explicit_network(&vpc, &subnets));
    f.env.apply(&f.ns, &database("snap", &base));
    f.env.apply(&f.ns, &database("drop", &format!("{base}  deletionPolicy: Delete\n")));
    f.env.apply(&f.ns, &database("keep", &format!("{base}  deletionPolicy: Retain\n")));
    f.env.apply(&f.ns, &database("guarded", &format!("{base}  deletionProtection: true\n")));
    let mut ids = BTreeMap::new();
    let mut groups = BTreeMap::new();
    for name in ["snap", "drop", "keep", "guarded"] {
        let db = wait_db(&f.api, name, "Ready", ready).await;
        ids.insert(name, identifier(&db));
        groups.insert(
            name,
            (
                resource(&db, "rds:DBSubnetGroup"),
                resource(&db, "rds:DBParameterGroup"),
                resource(&db, "ec2:SecurityGroup"),
            ),
        );
    }
    assert_eq!(instance(&f.rds, &ids["guarded"]).await.unwrap().deletion_protection, Some(true));

    for name in ["snap", "drop", "keep", "guarded"] {
        f.api.delete(name, &DeleteParams::default()).await.unwrap();
    }
    // Snapshot (the default): the final snapshot is on record before the delete, and exists after.
    let snap = wait_db(&f.api, "snap", "the final snapshot is recorded", |d| {
        d.status.as_ref().is_some_and(|s| s.final_snapshot_id.is_some())
    })
    .await;
    let final_id = snap.status.unwrap().final_snapshot_id.unwrap();
    gone(&f.api, "snap").await;
    assert!(snapshot_exists(&f.rds, &final_id).await, "final snapshot {final_id} exists");
    assert!(instance(&f.rds, &ids["snap"]).await.is_none());
    let events: Api<Event> = Api::namespaced(f.env.client().await, &f.ns);
    let recorded = events.list(&ListParams::default()).await.unwrap();
    assert!(
        recorded.items.iter().any(|e| e.reason.as_deref() == Some("FinalSnapshot")
            && e.message.as_deref().is_some_and(|m| m.contains(&final_id))),
        "an Event names the final snapshot"
    );

    // Delete: no snapshot; the groups go after the instance, nothing is orphaned.
    gone(&f.api, "drop").await;
    assert!(instance(&f.rds, &ids["drop"]).await.is_none());
    for name in ["snap", "drop"] {
        let (subnet_group, param_group, sg) = &groups[name];
        let subnet_groups = f.rds.describe_db_subnet_groups().db_subnet_group_name(subnet_group).send().await;
        assert!(
            subnet_groups.is_err() || subnet_groups.unwrap().db_subnet_groups().is_empty(),
            "{name}: subnet group gone"
        );
        let param_groups = f.rds.describe_db_parameter_groups().db_parameter_group_name(param_group).send().await;
        assert!(
            param_groups.is_err() || param_groups.unwrap().db_parameter_groups().is_empty(),
            "{name}: parameter group gone"
        );
        let groups = f.ec2.describe_security_groups().group_ids(sg).send().await;
        assert!(groups.is_err() || groups.unwrap().security_groups().is_empty(), "{name}: security group gone");
    }
    let snapshots = f
        .rds
        .describe_db_snapshots()
        .db_instance_identifier(&ids["drop"])
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    assert!(snapshots.db_snapshots().is_empty(), "deletionPolicy Delete takes no final snapshot");

    // Retain: the object goes, everything in AWS stays.
    gone(&f.api, "keep").await;
    assert_eq!(instance(&f.rds, &ids["keep"]).await.unwrap().db_instance_status.as_deref(), Some("available"));
    assert!(f.rds.describe_db_subnet_groups().db_subnet_group_name(&groups["keep"].0).send().await.is_ok());

    // Deletion protection: stalled, saying how to proceed; lifting it lets the deletion finish.
    let guarded = wait_db(&f.api, "guarded", "DeletionProtected", |d| stalled_with(d, "DeletionProtected")).await;
    assert!(condition(&guarded, "Stalled").unwrap().2.contains("deletionProtection"));
    assert_eq!(instance(&f.rds, &ids["guarded"]).await.unwrap().db_instance_status.as_deref(), Some("available"));
    f.api
        .patch(
            "guarded",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"deletionProtection": false}})),
        )
        .await
        .unwrap();
    gone(&f.api, "guarded").await;
    assert!(instance(&f.rds, &ids["guarded"]).await.is_none());
}

#[tokio::test]
async fn no_password_reaches_kubernetes_or_the_log() {
    let f = setup("db-secret").await;
    let (vpc, subnets) = support::network(&f.ec2, 30).await;
    let ctl = f.env.controller(&f.ns, "dbsecret");
    let spec = format!("  version: \"15.7\"\n  instanceClass: db.t3.micro\n{}", explicit_network(&vpc, &subnets));
    f.env.apply(&f.ns, &database("quiet", &spec));
    let db = wait_db(&f.api, "quiet", "Ready", ready).await;
    let arn = db.status.as_ref().unwrap().master_user_secret_arn.clone().unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(&f.env.sdk_config().await);
    let value = sm.get_secret_value().secret_id(&arn).send().await.unwrap().secret_string.unwrap();
    let password: serde_json::Value = serde_json::from_str(&value).unwrap();
    let password = password["password"].as_str().unwrap().to_string();
    assert!(password.len() >= 8, "RDS generated a password");

    let dump = f.env.kubectl(&["get", "secrets,events,databases", "-n", &f.ns, "-o", "yaml"], None);
    let everything = String::from_utf8_lossy(&dump.stdout).to_string();
    assert!(everything.contains("passwordSecretArn"), "the dump holds the connection Secret");
    let encoded = support::base64_of(&password);
    assert!(
        !everything.contains(&password) && !everything.contains(&encoded),
        "the password is in a Kubernetes object"
    );
    let log = ctl.log_tail();
    assert!(!log.is_empty());
    assert!(!log.contains(&password), "the password is in the controller's log");
}

#[tokio::test]
async fn changes_held_for_the_maintenance_window_are_shown_until_it_comes() {
    let f = setup("db-window").await;
    let (vpc, subnets) = support::network(&f.ec2, 31).await;
    let _ctl = f.env.controller(&f.ns, "dbwindow");
    let spec = format!(
        "  version: \"15.7\"\n  instanceClass: db.t3.micro\n  applyDuringMaintenanceWindow: true\n{}",
        explicit_network(&vpc, &subnets)
    );
    f.env.apply(&f.ns, &database("held", &spec));
    let db = wait_db(&f.api, "held", "Ready", ready).await;
    let id = identifier(&db);
    f.env.apply(&f.ns, &database("held", &spec.replace("db.t3.micro", "db.t3.small")));
    // RDS holds the change: the object is Ready and says what waits for the window.
    let db = wait_db(&f.api, "held", "the pending class is shown", |d| {
        ready(d)
            && d.status.as_ref().is_some_and(|s| {
                s.pending_modifications.get("instanceClass").map(String::as_str) == Some("db.t3.small")
            })
    })
    .await;
    assert!(condition(&db, "Ready").unwrap().2.contains("maintenance window"), "{:?}", condition(&db, "Ready"));
    assert_eq!(instance(&f.rds, &id).await.unwrap().db_instance_class(), Some("db.t3.micro"));
    // The window comes: RDS applies it, and the status no longer lists it.
    f.env.emulator("rds/maintenance-window");
    eventually("the window applied the class", CONVERGE, || async {
        (instance(&f.rds, &id).await?.db_instance_class() == Some("db.t3.small")).then_some(())
    })
    .await;
    wait_db(&f.api, "held", "nothing pending", |d| {
        ready(d) && d.status.as_ref().is_some_and(|s| s.pending_modifications.is_empty())
    })
    .await;
}

#[tokio::test]
async fn someone_elses_group_is_a_conflict_until_adopted_and_paused_writes_nothing() {
    let f = setup("db-conflict").await;
    let (vpc, subnets) = support::network(&f.ec2, 32).await;
    let ctl = f.env.controller(&f.ns, "dbconflict");
    // A security group under the name the Database would give its own, made by someone else.
    let id = stackwright_api::naming::ObjectIdentity {
        cluster_id: "dbconflict".into(),
        kind: "Database".into(),
        namespace: f.ns.clone(),
        name: "taken".into(),
        uid: String::new(),
    };
    let theirs = support::task_group(&f.ec2, &vpc, &id.physical_name("db", 255)).await;
    let spec = format!("  version: \"15.7\"\n  instanceClass: db.t3.micro\n{}", explicit_network(&vpc, &subnets));
    f.env.apply(&f.ns, &format!("{}  deletionPolicy: Delete\n", database("taken", &spec)));
    let db = wait_db(&f.api, "taken", "NameConflict", |d| stalled_with(d, "NameConflict")).await;
    assert!(condition(&db, "Stalled").unwrap().2.contains("stackwright.io/adopt"));
    assert!(instance(&f.rds, &id.physical_name_letter_first("", 63, 'd')).await.is_none());

    // Paused and adopted: still no write; the status says it differs.
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let before = writes(&ctl.metrics().await);
    f.env.kubectl(
        &["annotate", "database", "taken", "-n", &f.ns, "stackwright.io/paused=true", "stackwright.io/adopt=true"],
        None,
    );
    wait_db(&f.api, "taken", "Paused", |d| condition(d, "Ready").is_some_and(|(_, r, _)| r == "Paused")).await;
    assert_eq!(writes(&ctl.metrics().await), before, "paused: no AWS write");

    // Unpaused: the group is taken over (tagged) and the database is created around it.
    f.env.kubectl(&["annotate", "database", "taken", "-n", &f.ns, "stackwright.io/paused-"], None);
    let db = wait_db(&f.api, "taken", "Ready after adoption", ready).await;
    assert_eq!(resource(&db, "ec2:SecurityGroup"), theirs);
    let out = f.ec2.describe_security_groups().group_ids(&theirs).send().await.unwrap();
    let tags = out.security_groups()[0].tags();
    assert!(
        tags.iter().any(|t| t.key() == Some("stackwright.io/owner")
            && t.value() == Some(format!("Database/{}/taken", f.ns).as_str()))
    );
}
