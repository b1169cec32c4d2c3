//! What a Database's plan and writes mean for its status, and what its connection Secret holds:
//! pure, no I/O. What its placement means before there is a plan is shared with Cache
//! (`crate::placement::before_placement`).

use std::collections::BTreeMap;

use stackwright_api::conditions::{Outcome, reason};
use stackwright_cloud::rds::DbInstance;

use super::desired::DesiredDatabase;
use super::plan::{Plan, Resource, Step};
use stackwright_api::common::OwnedResource;

/// What the reconcile does with a plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// No writes: report this.
    Report(Outcome),
    /// Announce this, then make the writes.
    Write(Outcome),
}

/// Decides between writing and reporting. While paused nothing is written and the verdict says
/// whether AWS matches the spec.
pub fn verdict(plan: &Plan, paused: bool, identifier: &str) -> Verdict {
    match plan {
        Plan::Blocked { reason, message } => Verdict::Report(Outcome::stalled(reason, message.clone())),
        Plan::Waiting { status } => Verdict::Report(Outcome::progressing(
            waiting_reason(status),
            format!("RDS instance {identifier} is {status}"),
        )),
        Plan::InSync { pending } if paused => Verdict::Report(Outcome::Paused {
            in_sync: pending.is_empty(),
            message: format!("paused; {}", in_sync_message(identifier, pending)),
        }),
        Plan::InSync { pending } => Verdict::Report(Outcome::Ready { message: in_sync_message(identifier, pending) }),
        Plan::Write(steps) if paused => Verdict::Report(Outcome::Paused {
            in_sync: false,
            message: format!("paused; {identifier} differs from the spec: {}", describe(steps)),
        }),
        Plan::Write(steps) => {
            let creating = steps.iter().any(|s| matches!(s, Step::CreateInstance | Step::CreateSecurityGroup));
            let why = if creating { reason::CREATING } else { reason::UPDATING };
            Verdict::Write(Outcome::progressing(why, format!("{identifier}: {}", describe(steps))))
        }
    }
}

/// How soon to look again after `steps`: the next wave follows at once when they only made
/// what RDS and EC2 complete synchronously; a change of the main resource is polled.
pub fn look_again_after(steps: &[Step]) -> std::time::Duration {
    if steps.iter().any(|s| matches!(s, Step::CreateInstance | Step::ModifyInstance(_))) {
        crate::driver::POLL
    } else {
        crate::driver::NEXT_WAVE
    }
}

/// After the writes: RDS works on its own time, so the next reconcile looks again.
pub fn after_writes(steps: &[Step], identifier: &str) -> Outcome {
    Outcome::progressing(
        if steps.iter().any(|s| matches!(s, Step::CreateInstance)) { reason::CREATING } else { reason::UPDATING },
        format!("{identifier}: {} sent; waiting for AWS to apply them", describe(steps)),
    )
}

fn waiting_reason(status: &str) -> &'static str {
    match status {
        "creating" | "backing-up" => reason::CREATING,
        "deleting" => reason::DELETING,
        "modifying"
        | "upgrading"
        | "rebooting"
        | "storage-optimization"
        | "configuring-enhanced-monitoring"
        | "configuring-log-exports"
        | "renaming"
        | "resetting-master-credentials" => reason::UPDATING,
        _ => reason::WAITING,
    }
}

fn in_sync_message(identifier: &str, pending: &BTreeMap<String, String>) -> String {
    if pending.is_empty() {
        format!("RDS instance {identifier} matches the spec")
    } else {
        let list: Vec<String> = pending.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("RDS instance {identifier} matches the spec; held for the maintenance window: {}", list.join(", "))
    }
}

/// The writes of a plan in a few words, for messages.
pub fn describe(steps: &[Step]) -> String {
    let words: Vec<&str> = steps
        .iter()
        .map(|s| match s {
            Step::CreateSecurityGroup => "create security group",
            Step::AuthorizeIngress(_) => "admit bound AppStacks",
            Step::RevokeIngress(_) => "remove unbound access",
            Step::CreateSubnetGroup => "create DB subnet group",
            Step::ModifySubnetGroup(_) => "change subnets",
            Step::CreateParameterGroup => "create DB parameter group",
            Step::SetParameters(_) => "set parameters",
            Step::ResetParameters(_) => "reset parameters",
            Step::CreateInstance => "create DB instance",
            Step::ModifyInstance(_) => "modify DB instance",
            Step::Tag { .. } => "tag",
        })
        .collect();
    words.join(", ")
}

/// The inventory state of a parameter group this object made for an earlier major version,
/// kept in status until it is deleted: a major upgrade switches the instance to a group of the
/// new family, and the old one must not be left behind.
pub const RETIRING: &str = "Retiring";

/// The parameter groups the last inventory lists that are not `current` and still exist: the
/// ones an upgrade left behind, to delete once the instance runs with the current one.
pub fn retiring(last: &[OwnedResource], current: &str) -> Vec<OwnedResource> {
    last.iter()
        .filter(|r| r.kind == Resource::ParameterGroup.kind() && r.id != current && !r.id.is_empty())
        .filter(|r| r.state != "Missing")
        .map(|r| OwnedResource { state: RETIRING.into(), ..r.clone() })
        .collect()
}

/// What the `<name>-connection` Secret holds once the instance has an endpoint: where to connect
/// and the ARN of the secret RDS keeps the password in — never the password.
pub fn connection_data(want: &DesiredDatabase, instance: &DbInstance) -> Option<BTreeMap<String, String>> {
    let endpoint = instance.endpoint.as_ref()?;
    let secret = instance.master_user_secret_arn.as_ref()?;
    Some(BTreeMap::from([
        ("host".to_string(), endpoint.address.clone()),
        ("port".to_string(), endpoint.port.to_string()),
        ("dbname".to_string(), want.instance.db_name.clone()),
        ("username".to_string(), want.instance.master_username.clone()),
        ("passwordSecretArn".to_string(), secret.clone()),
    ]))
}

#[cfg(test)]
mod tests {
    use stackwright_api::database::DatabaseSpec;
    use stackwright_api::naming::ObjectIdentity;
    use stackwright_cloud::rds::Endpoint;

    use super::super::desired::desired;
    use super::*;

    fn want() -> DesiredDatabase {
        let spec: DatabaseSpec =
            serde_yaml::from_str("{version: '15.7', instanceClass: db.t3.small, network: {appStack: web}}")
                .expect("spec");
        let id = ObjectIdentity {
            cluster_id: "dev".into(),
            kind: "Database".into(),
            namespace: "acc".into(),
            name: "db".into(),
            uid: "u".into(),
        };
        desired(&spec, &id, "us-east-1")
    }

    fn reason_of(o: &Outcome) -> &str {
        match o {
            Outcome::Progressing { reason, .. } | Outcome::Stalled { reason, .. } => reason,
            Outcome::Ready { .. } => "Ready",
            Outcome::Paused { .. } => "Paused",
        }
    }

    #[test]
    fn aws_states_are_waited_out_with_the_state_in_the_message() {
        for (status, why) in [
            ("creating", "Creating"),
            ("backing-up", "Creating"),
            ("modifying", "Updating"),
            ("upgrading", "Updating"),
            ("deleting", "Deleting"),
            ("maintenance", "Waiting"),
        ] {
            let Verdict::Report(o) = verdict(&Plan::Waiting { status: status.into() }, false, "db-1") else { panic!() };
            assert_eq!(reason_of(&o), why, "{status}");
            assert!(matches!(&o, Outcome::Progressing { message, .. } if message.contains(status)));
        }
    }

    #[test]
    fn pending_changes_are_ready_and_say_so() {
        let pending = BTreeMap::from([("instanceClass".to_string(), "db.t3.medium".to_string())]);
        let Verdict::Report(Outcome::Ready { message }) = verdict(&Plan::InSync { pending }, false, "db-1") else {
            panic!()
        };
        assert!(message.contains("maintenance window: instanceClass=db.t3.medium"), "{message}");
    }

    #[test]
    fn writes_are_announced_unless_paused() {
        let plan = Plan::Write(vec![Step::CreateSecurityGroup, Step::CreateSubnetGroup]);
        let Verdict::Write(o) = verdict(&plan, false, "db-1") else { panic!() };
        assert_eq!(reason_of(&o), "Creating");
        let Verdict::Report(Outcome::Paused { in_sync: false, message }) = verdict(&plan, true, "db-1") else {
            panic!()
        };
        assert!(message.contains("create security group, create DB subnet group"), "{message}");
        assert_eq!(reason_of(&after_writes(&[Step::CreateInstance], "db-1")), "Creating");
        assert_eq!(reason_of(&after_writes(&[Step::SetParameters(BTreeMap::new())], "db-1")), "Updating");
    }

    #[test]
    fn an_upgrade_leaves_the_old_parameter_group_to_retire() {
        let entry = |id: &str, state: &str| OwnedResource {
            kind: "rds:DBParameterGroup".into(),
            id: id.into(),
            state: state.into(),
        };
        let sg = OwnedResource { kind: "ec2:SecurityGroup".into(), id: "sg-1".into(), state: "Available".into() };
        let last = vec![sg, entry("params-postgres15", "Available"), entry("params-postgres14", "Retiring")];
        let found = retiring(&last, "params-postgres16");
        assert_eq!(found, vec![entry("params-postgres15", RETIRING), entry("params-postgres14", RETIRING)]);
        assert!(retiring(&last[..2], "params-postgres15").is_empty(), "no upgrade, nothing to retire");
        assert!(retiring(&[entry("params-postgres15", "Missing")], "params-postgres16").is_empty());
    }

    #[test]
    fn the_next_wave_follows_at_once_and_the_instance_is_polled() {
        let groups = [Step::CreateSecurityGroup, Step::CreateSubnetGroup, Step::CreateParameterGroup];
        assert_eq!(look_again_after(&groups), crate::driver::NEXT_WAVE);
        assert_eq!(look_again_after(&[Step::CreateInstance]), crate::driver::POLL);
        let modify = Step::ModifyInstance(Box::default());
        assert_eq!(look_again_after(&[Step::RevokeIngress(vec![]), modify]), crate::driver::POLL);
    }

    #[test]
    fn the_connection_secret_holds_where_to_connect_and_never_a_password() {
        let d = want();
        let mut i =
            DbInstance { master_user_secret_arn: Some("arn:aws:secretsmanager:x".into()), ..DbInstance::default() };
        assert_eq!(connection_data(&d, &i), None, "no endpoint yet");
        i.endpoint = Some(Endpoint { address: "db.example".into(), port: 5432 });
        let data = connection_data(&d, &i).expect("data");
        assert_eq!(data.keys().collect::<Vec<_>>(), ["dbname", "host", "passwordSecretArn", "port", "username"]);
        assert_eq!(data["host"], "db.example");
        assert_eq!(data["username"], "app_admin");
        assert!(!data.keys().any(|k| k == "password"));
    }
}
