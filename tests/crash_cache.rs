//! The crash matrix of Cache: the real controller is aborted (by fault injection) right after
//! each AWS write of a Cache's create, update and delete paths in turn, then a fresh controller
//! takes over. After every crash point the object must converge (Ready, or gone after a delete)
//! with exactly one of each owned resource — one AUTH token secret above all, whose value the
//! replication group uses — no orphan, and no stalled status along the way.
//!
//! The stack the object is placed in and bound from is a real AppStack, reconciled by the same
//! controller; the crash points are the object's own calls (fault rules for its kind only).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use kube::api::DeleteParams;
use stackwright_api::Cache;
use support::crash::Crash;

const SPEC: &str = "  engine: redis\n  version: \"7.1\"\n  nodeType: cache.t3.micro\n  replicas: 1\n  tags: {team: web}\n  network: {appStack: web}\n";
const BOUND: &str = "[{cache: redis, envPrefix: REDIS}]";

async fn case(point: &str) -> Crash<Cache> {
    Crash::new("crashcache", point, "crashcache", 60, BOUND).await
}

/// What of this account carries the object's owner tag: the replication group (with node type
/// and member count), the subnet, parameter and security groups, and the token secrets that are
/// not scheduled for deletion.
async fn owned(case: &Crash<Cache>) -> Vec<String> {
    let config = case.env.sdk_config().await;
    let ec = aws_sdk_elasticache::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let owner = case.owner("redis");
    // Other tests delete their resources meanwhile: one gone between listing and tags is not ours.
    let tagged = async |arn: &str| {
        let Ok(tags) = ec.list_tags_for_resource().resource_name(arn).send().await else { return false };
        tags.tag_list().iter().any(|t| t.key() == Some("stackwright.io/owner") && t.value() == Some(owner.as_str()))
    };
    let mut out = Vec::new();
    for g in ec.describe_replication_groups().send().await.unwrap().replication_groups() {
        if tagged(g.arn().unwrap()).await && g.status() != Some("deleting") {
            out.push(format!(
                "replication group {} x{}",
                g.cache_node_type().unwrap_or_default(),
                g.member_clusters().len()
            ));
        }
    }
    for g in ec.describe_cache_subnet_groups().send().await.unwrap().cache_subnet_groups() {
        if tagged(g.arn().unwrap()).await {
            out.push("subnet group".into());
        }
    }
    for g in ec.describe_cache_parameter_groups().send().await.unwrap().cache_parameter_groups() {
        if tagged(g.arn().unwrap()).await {
            out.push("parameter group".into());
        }
    }
    let filter = aws_sdk_ec2::types::Filter::builder().name("tag:stackwright.io/owner").values(&owner).build();
    let groups = ec2.describe_security_groups().filters(filter).send().await.unwrap();
    out.extend(groups.security_groups().iter().map(|_| "security group".to_string()));
    let filter = aws_sdk_secretsmanager::types::Filter::builder()
        .key(aws_sdk_secretsmanager::types::FilterNameStringType::TagValue)
        .values(&owner)
        .build();
    let secrets = sm.list_secrets().filters(filter).send().await.unwrap();
    out.extend(secrets.secret_list().iter().filter(|s| s.deleted_date().is_none()).map(|_| "token secret".to_string()));
    out.sort();
    out
}

async fn assert_one_of_each(case: &Crash<Cache>, group: &str) {
    let want = ["parameter group", group, "security group", "subnet group", "token secret"].map(String::from);
    assert_eq!(owned(case).await, want, "exactly one of each, ours");
}

/// Create path: the controller dies right after `op` while creating the cache.
async fn create_path(op: &str) {
    let case = case(op).await;
    case.apply("redis", SPEC);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("redis").await;
    assert_one_of_each(&case, "replication group cache.t3.micro x2").await;
    case.assert_never_stalled();
}

/// Update path: converged with one replica, then the controller dies right after `op` while it
/// goes to no replica (failover off first), a larger node, new tags, a third subnet, unbound.
async fn update_path(op: &str) {
    let case = case(op).await;
    case.apply("redis", SPEC);
    case.converge("redis").await;
    case.stack("[]", 3).await;
    case.apply(
        "redis",
        &SPEC
            .replace("replicas: 1", "replicas: 0")
            .replace("cache.t3.micro", "cache.t3.small")
            .replace("team: web", "team: api"),
    );
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("redis").await;
    assert_one_of_each(&case, "replication group cache.t3.small x1").await;
    case.assert_never_stalled();
}

/// Growth: converged without replica; the controller dies right after `op` while it adds one.
async fn grow_path(op: &str) {
    let case = case(op).await;
    case.apply("redis", &SPEC.replace("replicas: 1", "replicas: 0"));
    case.converge("redis").await;
    case.apply("redis", SPEC);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("redis").await;
    assert_one_of_each(&case, "replication group cache.t3.micro x2").await;
    case.assert_never_stalled();
}

/// Delete path: converged, deleted; the controller dies right after `op`.
async fn delete_path(op: &str) {
    let case = case(op).await;
    case.apply("redis", SPEC);
    case.converge("redis").await;
    case.api.delete("redis", &DeleteParams::default()).await.unwrap();
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.gone("redis").await;
    assert!(owned(&case).await.is_empty(), "no orphan: {:?}", owned(&case).await);
}

/// Recreate: a Cache deleted (its token secret scheduled for deletion) and created again under
/// the same name restores the secret rather than making a second one.
async fn recreate_path(op: &str) {
    let case = case(op).await;
    case.apply("redis", SPEC);
    case.converge("redis").await;
    case.api.delete("redis", &DeleteParams::default()).await.unwrap();
    {
        let _deleter = case.controller(None);
        case.gone("redis").await;
    }
    case.apply("redis", SPEC);
    case.crash_after(op).await;
    let _survivor = case.controller(None);
    case.ready("redis").await;
    assert_one_of_each(&case, "replication group cache.t3.micro x2").await;
    case.assert_never_stalled();
}

crash_points! { create_path:
    create_after_create_security_group => "CreateSecurityGroup";
    create_after_create_cache_subnet_group => "CreateCacheSubnetGroup";
    create_after_create_cache_parameter_group => "CreateCacheParameterGroup";
    create_after_modify_cache_parameter_group => "ModifyCacheParameterGroup";
    create_after_create_secret => "CreateSecret";
    create_after_authorize_security_group_ingress => "AuthorizeSecurityGroupIngress";
    create_after_create_replication_group => "CreateReplicationGroup";
}

crash_points! { update_path:
    update_after_modify_replication_group => "ModifyReplicationGroup";
    update_after_decrease_replica_count => "DecreaseReplicaCount";
    update_after_modify_cache_subnet_group => "ModifyCacheSubnetGroup";
    update_after_revoke_security_group_ingress => "RevokeSecurityGroupIngress";
    update_after_add_tags_to_resource => "AddTagsToResource";
    update_after_create_tags => "CreateTags";
    update_after_tag_resource => "TagResource";
}

crash_points! { grow_path:
    grow_after_increase_replica_count => "IncreaseReplicaCount";
}

crash_points! { delete_path:
    delete_after_delete_replication_group => "DeleteReplicationGroup";
    delete_after_delete_cache_parameter_group => "DeleteCacheParameterGroup";
    delete_after_delete_cache_subnet_group => "DeleteCacheSubnetGroup";
    delete_after_delete_security_group => "DeleteSecurityGroup";
    delete_after_delete_secret => "DeleteSecret";
}

crash_points! { recreate_path:
    recreate_after_restore_secret => "RestoreSecret";
}
