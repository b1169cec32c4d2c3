//! What a Cache's plan and writes mean for its status, and what its connection Secret holds: pure,
//! no I/O. What its placement means before there is a plan is shared with Database
//! (`crate::placement::before_placement`).

use std::collections::BTreeMap;

use stackwright_api::conditions::{Outcome, reason};
use stackwright_cloud::elasticache::ReplicationGroup;

use super::desired::DesiredCache;
use super::plan::{Plan, Step};

/// What the reconcile does with a plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// No writes: report this.
    Report(Outcome),
    /// Announce this, then make the writes.
    Write(Outcome),
}

/// Decides between writing and reporting. While paused nothing is written and the verdict says
/// whether AWS matches the spec. `identifier` is the replication group id.
pub fn verdict(plan: &Plan, paused: bool, identifier: &str) -> Verdict {
    let group = format!("ElastiCache replication group {identifier}");
    let outcome = match plan {
        Plan::Blocked { reason, message } => Outcome::stalled(reason, message.clone()),
        Plan::Waiting { status } if status == "create-failed" => Outcome::stalled(
            reason::CONFLICT,
            format!(
                "{group} is create-failed: its ElastiCache events say why (e.g. the node type is not offered in the subnets' zones, or a quota); fix that, then delete the failed group in AWS and it is created again"
            ),
        ),
        Plan::Waiting { status } => Outcome::progressing(waiting_reason(status), format!("{group} is {status}")),
        Plan::InSync { pending } => {
            let matches = match pending_list(pending) {
                None => format!("{group} matches the spec"),
                Some(list) => format!("{group} matches the spec; ElastiCache has yet to apply: {list}"),
            };
            if paused {
                Outcome::Paused { in_sync: pending.is_empty(), message: format!("paused; {matches}") }
            } else {
                Outcome::Ready { message: matches }
            }
        }
        Plan::Write(steps) if paused => Outcome::Paused {
            in_sync: false,
            message: format!("paused; {identifier} differs from the spec: {}", describe(steps)),
        },
        Plan::Write(steps) => {
            return Verdict::Write(Outcome::progressing(
                creating_or_updating(steps),
                format!("{identifier}: {}", describe(steps)),
            ));
        }
    };
    Verdict::Report(outcome)
}

/// How soon to look again after `steps`: the next wave follows at once when they only made
/// what ElastiCache and EC2 complete synchronously; a change of the main resource is polled.
pub fn look_again_after(steps: &[Step]) -> std::time::Duration {
    if steps.iter().any(|s| {
        matches!(
            s,
            Step::CreateReplicationGroup
                | Step::ModifyReplicationGroup(_)
                | Step::IncreaseReplicas(_)
                | Step::DecreaseReplicas(_)
                | Step::RestoreAuthSecret
        )
    }) {
        crate::driver::POLL
    } else {
        crate::driver::NEXT_WAVE
    }
}

/// After the writes: ElastiCache works on its own time, so the next reconcile looks again.
pub fn after_writes(steps: &[Step], identifier: &str) -> Outcome {
    Outcome::progressing(
        creating_or_updating(steps),
        format!("{identifier}: {} sent; waiting for AWS to apply them", describe(steps)),
    )
}

/// Creating while the replication group (or the first wave before it) is being made.
fn creating_or_updating(steps: &[Step]) -> &'static str {
    if steps.iter().any(|s| matches!(s, Step::CreateReplicationGroup | Step::CreateSecurityGroup)) {
        reason::CREATING
    } else {
        reason::UPDATING
    }
}

/// The reason for a replication group status other than `available` (create-failed: see
/// [`verdict`]).
fn waiting_reason(status: &str) -> &'static str {
    match status {
        "creating" => reason::CREATING,
        "modifying" => reason::UPDATING,
        "deleting" => reason::DELETING,
        // "snapshotting", and whatever AWS adds: busy, not because of us.
        _ => reason::WAITING,
    }
}

fn pending_list(pending: &BTreeMap<String, String>) -> Option<String> {
    (!pending.is_empty()).then(|| pending.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "))
}

/// The writes of a plan in a few words, for messages.
pub fn describe(steps: &[Step]) -> String {
    let words: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::CreateSecurityGroup => "create security group".into(),
            Step::AuthorizeIngress(_) => "admit bound AppStacks".into(),
            Step::RevokeIngress(_) => "remove unbound access".into(),
            Step::CreateSubnetGroup => "create cache subnet group".into(),
            Step::ModifySubnetGroup(_) => "change subnets".into(),
            Step::CreateParameterGroup => "create cache parameter group".into(),
            Step::SetParameters(_) => "set parameters".into(),
            Step::ResetParameters(_) => "reset parameters".into(),
            Step::CreateAuthSecret => "create AUTH token secret".into(),
            Step::RestoreAuthSecret => "restore AUTH token secret".into(),
            Step::CreateReplicationGroup => "create replication group".into(),
            Step::ModifyReplicationGroup(_) => "modify replication group".into(),
            Step::IncreaseReplicas(n) => format!("add replicas (to {n})"),
            Step::DecreaseReplicas(n) => format!("remove replicas (to {n})"),
            Step::Tag { .. } => "tag".into(),
        })
        .collect();
    words.join(", ")
}

/// What the `<name>-connection` Secret holds once the group has a primary endpoint: where to
/// connect (`host`, `port`, `readerHost` where there is a reader endpoint), whether to use TLS,
/// and with transit encryption the ARN of the secret holding the AUTH token — never the token.
/// `None` until everything it needs is known (with transit encryption: the secret's ARN).
pub fn connection_data(
    want: &DesiredCache,
    group: &ReplicationGroup,
    auth_secret_arn: Option<&str>,
) -> Option<BTreeMap<String, String>> {
    let primary = group.primary_endpoint.as_ref()?;
    let mut data = BTreeMap::from([
        ("host".to_string(), primary.address.clone()),
        ("port".to_string(), primary.port.to_string()),
        ("tls".to_string(), want.transit_encryption.to_string()),
    ]);
    if want.transit_encryption {
        data.insert("authTokenSecretArn".into(), auth_secret_arn?.to_string());
    }
    if let Some(reader) = &group.reader_endpoint {
        data.insert("readerHost".into(), reader.address.clone());
    }
    Some(data)
}

#[cfg(test)]
mod tests {
    use stackwright_api::cache::CacheSpec;
    use stackwright_api::naming::ObjectIdentity;
    use stackwright_cloud::elasticache::{Endpoint, PendingModifications};

    use super::super::desired::desired;
    use super::*;

    fn want(yaml: &str) -> DesiredCache {
        let spec: CacheSpec = serde_yaml::from_str(yaml).expect("spec");
        let id = ObjectIdentity {
            cluster_id: "dev".into(),
            kind: "Cache".into(),
            namespace: "acc".into(),
            name: "redis".into(),
            uid: "u".into(),
        };
        desired(&spec, &id, "us-east-1")
    }

    const SPEC: &str = "{version: '7.1', nodeType: cache.t3.micro, network: {appStack: web}}";

    fn group() -> ReplicationGroup {
        ReplicationGroup {
            id: "c-dev-acc-redis".into(),
            arn: "arn:rg".into(),
            status: "available".into(),
            engine: "redis".into(),
            engine_version: Some("7.1.0".into()),
            node_type: "cache.t3.micro".into(),
            member_clusters: vec!["c-dev-acc-redis-001".into()],
            automatic_failover: false,
            multi_az: false,
            at_rest_encryption: true,
            transit_encryption: true,
            auth_token_enabled: true,
            snapshot_retention_limit: 0,
            parameter_group: None,
            security_group_ids: vec![],
            subnet_group: None,
            primary_endpoint: None,
            reader_endpoint: None,
            pending: PendingModifications::default(),
            tags: None,
        }
    }

    /// The reason of an outcome that has one (Progressing, Stalled).
    fn reason_of(o: &Outcome) -> Option<&str> {
        let (Outcome::Progressing { reason, .. } | Outcome::Stalled { reason, .. }) = o else { return None };
        Some(reason)
    }

    #[test]
    fn the_next_wave_follows_at_once_and_the_group_is_polled() {
        let first = [Step::CreateSecurityGroup, Step::CreateAuthSecret, Step::CreateParameterGroup];
        assert_eq!(look_again_after(&first), crate::driver::NEXT_WAVE);
        assert_eq!(look_again_after(&[Step::CreateReplicationGroup]), crate::driver::POLL);
        assert_eq!(look_again_after(&[Step::IncreaseReplicas(1)]), crate::driver::POLL);
    }

    #[test]
    fn aws_states_are_waited_out_with_the_state_in_the_message() {
        for (status, why) in [
            ("creating", "Creating"),
            ("modifying", "Updating"),
            ("snapshotting", "Waiting"),
            ("deleting", "Deleting"),
            ("some-new-state", "Waiting"),
        ] {
            let Verdict::Report(o) = verdict(&Plan::Waiting { status: status.into() }, false, "c-1") else { panic!() };
            assert_eq!(reason_of(&o), Some(why), "{status}");
            assert!(matches!(&o, Outcome::Progressing { message, .. } if message.contains(status)), "{o:?}");
        }
    }

    #[test]
    fn a_failed_creation_stalls_and_says_what_to_do() {
        let Verdict::Report(o) = verdict(&Plan::Waiting { status: "create-failed".into() }, false, "c-1") else {
            panic!()
        };
        let Outcome::Stalled { reason, message } = o else { panic!("stalled: {o:?}") };
        assert_eq!(reason, "Conflict");
        assert!(message.contains("c-1") && message.contains("delete the failed group"), "{message}");
    }

    #[test]
    fn a_blocked_plan_stalls_with_its_reason() {
        let plan = Plan::Blocked { reason: "InvalidSpec", message: "no".into() };
        assert_eq!(verdict(&plan, false, "c-1"), Verdict::Report(Outcome::stalled("InvalidSpec", "no")));
        assert_eq!(verdict(&plan, true, "c-1"), Verdict::Report(Outcome::stalled("InvalidSpec", "no")));
    }

    #[test]
    fn in_sync_is_ready_and_lists_what_elasticache_has_yet_to_apply() {
        let Verdict::Report(Outcome::Ready { message }) =
            verdict(&Plan::InSync { pending: BTreeMap::new() }, false, "c-1")
        else {
            panic!()
        };
        assert_eq!(message, "ElastiCache replication group c-1 matches the spec");
        let pending = BTreeMap::from([("nodeType".to_string(), "cache.t3.small".to_string())]);
        let Verdict::Report(Outcome::Ready { message }) =
            verdict(&Plan::InSync { pending: pending.clone() }, false, "c-1")
        else {
            panic!()
        };
        assert!(message.ends_with("yet to apply: nodeType=cache.t3.small"), "{message}");
        let Verdict::Report(Outcome::Paused { in_sync, message }) = verdict(&Plan::InSync { pending }, true, "c-1")
        else {
            panic!()
        };
        assert!(!in_sync && message.starts_with("paused; "), "{message}");
    }

    #[test]
    fn writes_are_announced_unless_paused() {
        let first = Plan::Write(vec![Step::CreateSecurityGroup, Step::CreateAuthSecret]);
        let Verdict::Write(o) = verdict(&first, false, "c-1") else { panic!() };
        assert_eq!(reason_of(&o), Some("Creating"));
        let Verdict::Report(Outcome::Paused { in_sync: false, message }) = verdict(&first, true, "c-1") else {
            panic!()
        };
        assert!(message.contains("create security group, create AUTH token secret"), "{message}");
        let Verdict::Write(o) = verdict(&Plan::Write(vec![Step::IncreaseReplicas(2)]), false, "c-1") else { panic!() };
        assert_eq!(reason_of(&o), Some("Updating"));
        assert_eq!(reason_of(&after_writes(&[Step::CreateReplicationGroup], "c-1")), Some("Creating"));
        assert_eq!(reason_of(&after_writes(&[Step::DecreaseReplicas(0)], "c-1")), Some("Updating"));
    }

    #[test]
    fn describe_names_every_write_and_the_replica_count() {
        assert_eq!(
            describe(&[
                Step::RestoreAuthSecret,
                Step::IncreaseReplicas(2),
                Step::DecreaseReplicas(0),
                Step::ModifyReplicationGroup(Box::default()),
            ]),
            "restore AUTH token secret, add replicas (to 2), remove replicas (to 0), modify replication group"
        );
    }

    #[test]
    fn the_connection_secret_holds_where_to_connect_and_the_token_arn_never_the_token() {
        let d = want(SPEC);
        let mut g = group();
        assert_eq!(connection_data(&d, &g, Some("arn:secret")), None, "no endpoint yet");
        g.primary_endpoint = Some(Endpoint { address: "master.redis.cache".into(), port: 6379 });
        assert_eq!(connection_data(&d, &g, None), None, "the token's secret is not known yet");
        let data = connection_data(&d, &g, Some("arn:secret")).expect("data");
        assert_eq!(
            data,
            BTreeMap::from([
                ("authTokenSecretArn".to_string(), "arn:secret".to_string()),
                ("host".to_string(), "master.redis.cache".to_string()),
                ("port".to_string(), "6379".to_string()),
                ("tls".to_string(), "true".to_string()),
            ])
        );
        g.reader_endpoint = Some(Endpoint { address: "replica.redis.cache".into(), port: 6379 });
        assert_eq!(connection_data(&d, &g, Some("arn:secret")).expect("data")["readerHost"], "replica.redis.cache");
    }

    #[test]
    fn without_transit_encryption_there_is_no_token_to_point_at() {
        let d = want("{version: '7.1', nodeType: cache.t3.micro, transitEncryption: false, network: {appStack: web}}");
        let g = ReplicationGroup {
            transit_encryption: false,
            auth_token_enabled: false,
            primary_endpoint: Some(Endpoint { address: "master.redis.cache".into(), port: 6379 }),
            ..group()
        };
        let data = connection_data(&d, &g, None).expect("data");
        assert_eq!(data.keys().collect::<Vec<_>>(), ["host", "port", "tls"]);
        assert_eq!(data["tls"], "false");
    }
}
