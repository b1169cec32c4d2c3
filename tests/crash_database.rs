//! The crash matrix of Database: the real controller is aborted (by fault injection) right after
//! each AWS write of a Database's create, update and delete paths in turn, then a fresh
//! controller takes over. After every crash point the object must converge (Ready, or gone after
//! a delete) with exactly one of each owned resource, configured as the spec says, no orphan, and
//! no status along the way may have stalled on our own resources.
//!
//! The stack the object is placed in and bound from is a real AppStack, reconciled by the same
//! controller; the crash points are the object's own calls (fault rules for its kind only).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;

use kube::api::DeleteParams;
use stackwright_api::Database;
use support::crash::Crash;

const SPEC: &str = "  version: \"15.7\"\n  instanceClass: db.t3.micro\n  parameters: {max_connections: \"150\", work_mem: \"8192\"}\n  tags: {team: data}\n  network: {appStack: web}\n  deletionPolicy: Delete\n";
const BOUND: &str = "[{database: db, envPrefix: DATABASE}]";

async fn case(point: &str) -> Crash<Database> {
    Crash::new("crashdb", point, "crashdb", 40, BOUND).await
}

struct Aws {
    rds: aws_sdk_rds::Client,
    ec2: aws_sdk_ec2::Client,
}

async fn aws(case: &Crash<Database>) -> Aws {
    let config = case.env.sdk_config().await;
    Aws { rds: aws_sdk_rds::Client::new(&config), ec2: aws_sdk_ec2::Client::new(&config) }
}

/// What of this account carries the object's owner tag: one line per DB instance (with its
/// class), subnet group, parameter group and security group.
async fn owned(case: &Crash<Database>) -> Vec<String> {
    let Aws { rds, ec2 } = aws(case).await;
    let owner = case.owner("db");
    let owned = |tags: &[aws_sdk_rds::types::Tag]| {
        tags.iter().any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str()))
    };
    let mut out = Vec::new();
    for i in rds.describe_db_instances().send().await.unwrap().db_instances() {
        if owned(i.tag_list()) && i.db_instance_status() != Some("deleting") {
            out.push(format!("instance {}", i.db_instance_class().unwrap_or_default()));
        }
    }
    for g in rds.describe_db_subnet_groups().send().await.unwrap().db_subnet_groups() {
        let tags = rds.list_tags_for_resource().resource_name(g.db_subnet_group_arn().unwrap()).send().await.unwrap();
        if owned(tags.tag_list()) {
            out.push("subnet group".into());
        }
    }
    for g in rds.describe_db_parameter_groups().send().await.unwrap().db_parameter_groups() {
        let tags =
            rds.list_tags_for_resource().resource_name(g.db_parameter_group_arn().unwrap()).send().await.unwrap();
        if owned(tags.tag_list()) {
            out.push("parameter group".into());
        }
    }
    let filter = aws_sdk_ec2::types::Filter::builder().name("tag:stackwright.io/owner").values(&owner).build();
    let groups = ec2.describe_security_groups().filters(filter).send().await.unwrap();
    out.extend(groups.security_groups().iter().map(|_| "security group".to_string()));
    out.sort();
    out
}

async fn assert_one_of_each(case: &Crash<Database>, class: &str) {
    let want =
        [format!("instance {class}").as_str(), "parameter group", "security group", "subnet group"].map(String::from);
    assert_eq!(owned(case).await, want, "exactly one of each, ours");
}

fn resource(db: &Database, kind: &str) -> String {
    db.status.as_ref().unwrap().common.resources.iter().find(|r| r.kind == kind).unwrap().id.clone()
}

/// The parameter values set in the database's group.
async fn parameters(case: &Crash<Database>, db: &Database) -> BTreeMap<String, String> {
    let Aws { rds, .. } = aws(case).await;
    let params = rds
        .describe_db_parameters()
        .db_parameter_group_name(resource(db, "rds:DBParameterGroup"))
        .source("user")
        .send()
        .await
        .unwrap();
    params
        .parameters()
        .iter()
        .filter_map(|p| Some((p.parameter_name()?.to_string(), p.parameter_value()?.to_string())))
        .collect()
}

/// Waits until the database's security group admits exactly `want`: the rules follow the
/// stack's status, which the stack's controller writes on its own time.
async fn admits(case: &Crash<Database>, db: &Database, want: &[String]) {
    support::admits(&aws(case).await.ec2, &resource(db, "ec2:SecurityGroup"), want).await;
}

/// Create path: the controller dies right after `op` while creating the database.
async fn create_path(op: &str) {
    let case = case(op).await;
    case.apply("db", SPEC);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let db = case.ready("db").await;
    assert_one_of_each(&case, "db.t3.micro").await;
    case.assert_never_stalled();
    let params = parameters(&case, &db).await;
    assert_eq!(params.get("max_connections").map(String::as_str), Some("150"));
    admits(&case, &db, &[format!("5432:{}", case.tasks().await)]).await;
}

/// Update path: converged, then the controller dies right after `op` while it changes the
/// class, drops a parameter, takes a third subnet, retags, and the stack unbinds.
async fn update_path(op: &str) {
    let case = case(op).await;
    case.apply("db", SPEC);
    case.converge("db").await;
    case.stack("[]", 3).await;
    case.apply(
        "db",
        &SPEC
            .replace("db.t3.micro", "db.t3.small")
            .replace(", work_mem: \"8192\"", "")
            .replace("team: data", "team: platform"),
    );
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let db = case.ready("db").await;
    assert_one_of_each(&case, "db.t3.small").await;
    case.assert_never_stalled();
    let params = parameters(&case, &db).await;
    assert!(!params.contains_key("work_mem"), "{params:?}");
    admits(&case, &db, &[]).await; // the unbound stack is no longer admitted
}

/// Upgrade path: converged on 15, then the controller dies right after `op` while it moves to 16
/// (a parameter group of the new family, the instance switched to it, the old group retired).
async fn upgrade_path(op: &str) {
    let case = case(op).await;
    case.apply("db", SPEC);
    case.converge("db").await;
    case.apply("db", &SPEC.replace("15.7", "16.4"));
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    let db = case.ready("db").await;
    assert!(db.status.as_ref().unwrap().engine_version.as_deref().unwrap().starts_with("16."), "{:?}", db.status);
    // Retiring the old group happens once the instance is in sync: wait for it, then count.
    eventually_one_of_each(&case, "db.t3.micro").await;
    case.assert_never_stalled();
    let params = parameters(&case, &db).await;
    assert_eq!(params.get("max_connections").map(String::as_str), Some("150"), "the new group has the parameters");
}

async fn eventually_one_of_each(case: &Crash<Database>, class: &str) {
    let want =
        [format!("instance {class}").as_str(), "parameter group", "security group", "subnet group"].map(String::from);
    support::eventually("exactly one of each, ours", support::crash::WITHIN, || async {
        (owned(case).await == want).then_some(())
    })
    .await;
}

/// Delete path: converged, deleted; the controller dies right after `op`.
async fn delete_path(op: &str, protected: bool) {
    let case = case(op).await;
    let spec = if protected { format!("{SPEC}  deletionProtection: true\n") } else { SPEC.to_string() };
    case.apply("db", &spec);
    case.converge("db").await;
    case.api.delete("db", &DeleteParams::default()).await.unwrap();
    if protected {
        // Lifting protection in the spec lets the deletion go on: the first write lifts it in RDS.
        case.patch_spec("db", serde_json::json!({"deletionProtection": false})).await;
    }
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.gone("db").await;
    assert!(owned(&case).await.is_empty(), "no orphan: {:?}", owned(&case).await);
}

crash_points! { create_path:
    create_after_create_security_group => "CreateSecurityGroup";
    create_after_create_db_subnet_group => "CreateDBSubnetGroup";
    create_after_create_db_parameter_group => "CreateDBParameterGroup";
    create_after_modify_db_parameter_group => "ModifyDBParameterGroup";
    create_after_authorize_security_group_ingress => "AuthorizeSecurityGroupIngress";
    create_after_create_db_instance => "CreateDBInstance";
}

crash_points! { update_path:
    update_after_modify_db_instance => "ModifyDBInstance";
    update_after_reset_db_parameter_group => "ResetDBParameterGroup";
    update_after_modify_db_subnet_group => "ModifyDBSubnetGroup";
    update_after_revoke_security_group_ingress => "RevokeSecurityGroupIngress";
    update_after_add_tags_to_resource => "AddTagsToResource";
    update_after_create_tags => "CreateTags";
}

crash_points! { upgrade_path:
    upgrade_after_create_db_parameter_group => "CreateDBParameterGroup";
    upgrade_after_modify_db_instance => "ModifyDBInstance";
    upgrade_after_delete_db_parameter_group => "DeleteDBParameterGroup";
}

crash_points! { delete_path:
    delete_after_delete_db_instance => "DeleteDBInstance", false;
    delete_after_delete_db_parameter_group => "DeleteDBParameterGroup", false;
    delete_after_delete_db_subnet_group => "DeleteDBSubnetGroup", false;
    delete_after_delete_security_group => "DeleteSecurityGroup", false;
    delete_after_lifting_deletion_protection => "ModifyDBInstance", true;
}
