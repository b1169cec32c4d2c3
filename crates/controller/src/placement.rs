//! What a Database or Cache depends on, read from the AppStacks of its namespace (pure, no AWS):
//! where it is placed (`network`), what its status says while that is not known, and which task
//! security groups may connect to it (the stacks that bind to it). Both kinds share these rules;
//! each is the only writer of its own security group, so these answers are all it needs from the
//! stacks.

use std::collections::BTreeSet;

use stackwright_api::AppStack;
use stackwright_api::conditions::{Outcome, reason};
use stackwright_api::network::NetworkRef;

/// Where the resources go, or why that is not known yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A VPC and the subnets in it.
    In { vpc_id: String, subnet_ids: Vec<String> },
    /// The AppStack exists but has not reported its network yet.
    Waiting { stack: String },
    /// No AppStack of that name in the namespace.
    Missing { stack: String },
}

/// Resolves `network`: explicit ids as they are, or the network `stack` (the AppStack that
/// `network.appStack` names, if it exists) reports in its status.
pub fn placement(network: &NetworkRef, stack: Option<&AppStack>) -> Placement {
    let Some(name) = &network.app_stack else {
        return Placement::In {
            vpc_id: network.vpc_id.clone().unwrap_or_default(),
            subnet_ids: network.subnet_ids.clone(),
        };
    };
    let Some(stack) = stack else { return Placement::Missing { stack: name.clone() } };
    let reported = stack.status.as_ref().and_then(|s| s.network.as_ref());
    match reported {
        Some(n) if n.vpc_id.is_some() && !n.data_subnet_ids.is_empty() => {
            Placement::In { vpc_id: n.vpc_id.clone().unwrap_or_default(), subnet_ids: n.data_subnet_ids.clone() }
        }
        _ => Placement::Waiting { stack: name.clone() },
    }
}

/// The verdict when the placement is not known: no AWS is touched until it is.
pub fn before_placement(placement: &Placement) -> Option<Outcome> {
    match placement {
        Placement::In { .. } => None,
        Placement::Waiting { stack } => Some(Outcome::progressing(
            reason::WAITING_FOR_DEPENDENCY,
            format!("waiting for AppStack {stack} to report its network (network.appStack)"),
        )),
        Placement::Missing { stack } => Some(Outcome::stalled(
            reason::DEPENDENCY_NOT_FOUND,
            format!(
                "network.appStack names AppStack {stack}, which does not exist in this namespace; create it, or set network.vpcId and network.subnetIds instead"
            ),
        )),
    }
}

/// Which kind of sibling a binding names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Database,
    Cache,
}

/// The task security groups admitted to the object `name` of kind `bound`: those of the stacks in
/// `stacks` (its namespace) that bind to it, that report their group, and are not being deleted
/// (a stack on its way out must be let go, so that its group can be deleted).
pub fn admitted_groups(bound: Bound, name: &str, stacks: &[&AppStack]) -> BTreeSet<String> {
    stacks
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .filter(|s| binds_to(s, bound, name))
        .filter_map(|s| s.status.as_ref()?.task_security_group_id.clone())
        .collect()
}

/// Whether `stack` binds to the object `name` of kind `bound`.
pub fn binds_to(stack: &AppStack, bound: Bound, name: &str) -> bool {
    stack.spec.bindings.iter().any(|b| match bound {
        Bound::Database => b.database.as_deref() == Some(name),
        Bound::Cache => b.cache.as_deref() == Some(name),
    })
}

/// Whether a change of `stack` (from `before` to `after`) can change what a Database or Cache
/// depends on: its bindings, its task security group, its network, or its deletion. Status churn
/// of a stack (rollouts, counts) does not, so it wakes no dependent.
pub fn relevant_change(before: Option<&AppStack>, after: &AppStack) -> bool {
    let key = |s: &AppStack| {
        (
            s.spec.bindings.iter().map(|b| (b.database.clone(), b.cache.clone())).collect::<Vec<_>>(),
            s.status.as_ref().and_then(|st| st.task_security_group_id.clone()),
            s.status.as_ref().and_then(|st| st.network.clone()),
            s.metadata.deletion_timestamp.is_some(),
        )
    };
    before.is_none_or(|b| key(b) != key(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(yaml: &str) -> AppStack {
        serde_yaml::from_str(yaml).expect("valid AppStack")
    }

    const WEB: &str = r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {name: web, namespace: pw}
spec:
  network: {vpcId: vpc-0123456789abcdef0, publicSubnetIds: [subnet-0000000a, subnet-0000000b], privateSubnetIds: [subnet-0000000c, subnet-0000000d]}
  services: [{name: api, image: "nginx:1", cpu: 256, memory: 512}]
  bindings: [{database: db, envPrefix: DATABASE}, {cache: redis, envPrefix: REDIS}]
status:
  taskSecurityGroupId: sg-0aaa
  network: {vpcId: vpc-0123456789abcdef0, dataSubnetIds: [subnet-0000000c, subnet-0000000d]}
"#;

    #[test]
    fn explicit_networks_are_used_as_given() {
        let net: NetworkRef =
            serde_yaml::from_str("{vpcId: vpc-01234567, subnetIds: [subnet-01234567, subnet-89abcdef]}").expect("ok");
        assert_eq!(
            placement(&net, None),
            Placement::In {
                vpc_id: "vpc-01234567".into(),
                subnet_ids: vec!["subnet-01234567".into(), "subnet-89abcdef".into()]
            }
        );
    }

    #[test]
    fn an_app_stack_network_is_missing_then_waiting_then_known() {
        let net: NetworkRef = serde_yaml::from_str("{appStack: web}").expect("ok");
        assert_eq!(placement(&net, None), Placement::Missing { stack: "web".into() });
        let mut s = stack(WEB);
        let reported = s.status.clone();
        s.status = None;
        assert_eq!(placement(&net, Some(&s)), Placement::Waiting { stack: "web".into() });
        s.status = reported;
        assert_eq!(
            placement(&net, Some(&s)),
            Placement::In {
                vpc_id: "vpc-0123456789abcdef0".into(),
                subnet_ids: vec!["subnet-0000000c".into(), "subnet-0000000d".into()]
            }
        );
    }

    #[test]
    fn a_missing_stack_stalls_and_a_silent_one_is_waited_for() {
        let missing = before_placement(&Placement::Missing { stack: "web".into() }).expect("verdict");
        assert!(
            matches!(&missing, Outcome::Stalled { reason, message } if reason == "DependencyNotFound" && message.contains("web"))
        );
        let waiting = before_placement(&Placement::Waiting { stack: "web".into() }).expect("verdict");
        assert!(matches!(&waiting, Outcome::Progressing { reason, .. } if reason == "WaitingForDependency"));
        assert!(before_placement(&Placement::In { vpc_id: "v".into(), subnet_ids: vec![] }).is_none());
    }

    #[test]
    fn only_binding_stacks_that_stay_are_admitted() {
        let web = stack(WEB);
        let mut other = stack(WEB);
        other.spec.bindings.clear();
        other.status.as_mut().expect("status").task_security_group_id = Some("sg-0bbb".into());
        assert_eq!(admitted_groups(Bound::Database, "db", &[&web, &other]), BTreeSet::from(["sg-0aaa".to_string()]));
        assert_eq!(admitted_groups(Bound::Cache, "redis", &[&web]), BTreeSet::from(["sg-0aaa".to_string()]));
        assert!(admitted_groups(Bound::Database, "other-db", &[&web]).is_empty());
        let mut leaving = stack(WEB);
        leaving.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH));
        assert!(admitted_groups(Bound::Database, "db", &[&leaving]).is_empty(), "a stack being deleted is let go");
    }

    #[test]
    fn status_churn_of_a_stack_wakes_no_dependent() {
        let before = stack(WEB);
        let mut after = before.clone();
        after.status.as_mut().expect("status").url = Some("http://lb".into());
        assert!(!relevant_change(Some(&before), &after));
        after.status.as_mut().expect("status").task_security_group_id = Some("sg-0ccc".into());
        assert!(relevant_change(Some(&before), &after));
        assert!(relevant_change(None, &before));
    }
}
