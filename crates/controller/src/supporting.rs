//! What Database and Cache do alike with the supporting resources each owns beside its main one:
//! the security group that admits the bound AppStacks, and the parameter group whose user-set
//! values follow the spec; and what both say of a resource under their name that is not theirs.
//! Pure, no I/O; each kind's plan turns these changes into its own steps.

use std::collections::{BTreeMap, BTreeSet};

use stackwright_cloud::ec2::{IngressRule, Source};

/// The verdict on a Database or Cache: what its plan decides, with the kind's own steps `S`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan<S> {
    /// Progress needs a person.
    Blocked { reason: &'static str, message: String },
    /// These writes, in order: one wave.
    Write(Vec<S>),
    /// Nothing to write now: AWS is working on the main resource (its status word).
    Waiting { status: String },
    /// Everything matches; `pending` lists what AWS has accepted but not applied yet (held for the
    /// maintenance window, or still being applied).
    InSync { pending: BTreeMap<String, String> },
}

/// The ingress rules to revoke and to authorize so that a security group admits `port` from each
/// `admitted` task security group and nothing else (rules added by hand included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngressChanges {
    pub revoke: Vec<IngressRule>,
    /// With a description naming who is admitted.
    pub authorize: Vec<IngressRule>,
}

/// Compares the rules a group `have`s with exactly one TCP rule for `port` per admitted group.
/// Rules are told apart without their descriptions, as EC2 does.
pub fn ingress_changes(port: i32, admitted: &BTreeSet<String>, have: &[IngressRule]) -> IngressChanges {
    let wanted: BTreeSet<IngressRule> = admitted.iter().map(|g| IngressRule::tcp_from_group(port, g, None)).collect();
    rule_changes(&wanted, have)
}

/// Compares the rules a group `have`s with exactly the `wanted` ones, told apart without their
/// descriptions; a wanted rule without a description is authorized with a generated one.
pub fn rule_changes(wanted: &BTreeSet<IngressRule>, have: &[IngressRule]) -> IngressChanges {
    let existing: BTreeSet<IngressRule> = have.iter().map(IngressRule::admits).collect();
    let admitted: BTreeSet<IngressRule> = wanted.iter().map(IngressRule::admits).collect();
    IngressChanges {
        revoke: have.iter().filter(|r| !admitted.contains(&r.admits())).cloned().collect(),
        authorize: wanted
            .iter()
            .filter(|r| !existing.contains(&r.admits()))
            .map(|r| IngressRule {
                description: r.description.clone().or_else(|| Some(rule_description(r))),
                ..r.clone()
            })
            .collect(),
    }
}

impl IngressChanges {
    /// A kind's steps for these changes (revocations first), none for what does not change:
    /// `changes.steps(Step::RevokeIngress, Step::AuthorizeIngress)`.
    pub fn steps<S>(self, revoke: fn(Vec<IngressRule>) -> S, authorize: fn(Vec<IngressRule>) -> S) -> Vec<S> {
        let revoke = (!self.revoke.is_empty()).then(|| revoke(self.revoke));
        let authorize = (!self.authorize.is_empty()).then(|| authorize(self.authorize));
        revoke.into_iter().chain(authorize).collect()
    }
}

fn rule_description(rule: &IngressRule) -> String {
    match &rule.source {
        Source::SecurityGroup(g) => format!("stackwright: tasks of a bound AppStack ({g})"),
        _ => "stackwright".into(),
    }
}

/// The parameters to set (absent or with another value) and to reset (set in the group, no longer
/// in the spec) so that the user-set values of a parameter group (`have`) are exactly `want`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParameterChanges {
    pub set: BTreeMap<String, String>,
    pub reset: Vec<String>,
}

impl ParameterChanges {
    /// A kind's steps for these changes (settings first), none for what does not change:
    /// `changes.steps(Step::SetParameters, Step::ResetParameters)`.
    pub fn steps<S>(self, set: fn(BTreeMap<String, String>) -> S, reset: fn(Vec<String>) -> S) -> Vec<S> {
        let set = (!self.set.is_empty()).then(|| set(self.set));
        let reset = (!self.reset.is_empty()).then(|| reset(self.reset));
        set.into_iter().chain(reset).collect()
    }
}

/// Compares the user-set values of a parameter group (`have`) with what the spec sets (`want`).
pub fn parameter_changes(want: &BTreeMap<String, String>, have: &BTreeMap<String, String>) -> ParameterChanges {
    ParameterChanges {
        set: want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        reset: have.keys().filter(|k| !want.contains_key(*k)).cloned().collect(),
    }
}

/// The message of a NameConflict: a resource of `kind` (`ec2:SecurityGroup`, ...) exists under
/// the object's name without its ownership tags.
pub fn name_conflict_message(kind: &str, name: &str) -> String {
    format!(
        "{kind} {name} already exists and is not managed by this object; annotate it with stackwright.io/adopt: \"true\" to take it over"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(groups: &[&str]) -> BTreeSet<String> {
        groups.iter().map(|g| g.to_string()).collect()
    }

    #[test]
    fn exactly_the_port_from_each_admitted_group_and_nothing_else() {
        let by_hand =
            IngressRule { source: Source::Cidr("0.0.0.0/0".into()), ..IngressRule::tcp_from_group(6379, "x", None) };
        let other_port = IngressRule::tcp_from_group(22, "sg-a", None);
        let kept = IngressRule::tcp_from_group(6379, "sg-a", Some("described by someone else"));
        let c = ingress_changes(6379, &admitted(&["sg-a", "sg-b"]), &[by_hand.clone(), other_port.clone(), kept]);
        assert_eq!(c.revoke, vec![by_hand, other_port]);
        assert_eq!(c.authorize.len(), 1);
        assert_eq!(c.authorize[0].admits(), IngressRule::tcp_from_group(6379, "sg-b", None));
        assert_eq!(c.authorize[0].description.as_deref(), Some("stackwright: tasks of a bound AppStack (sg-b)"));
    }

    #[test]
    fn no_admitted_group_revokes_every_rule() {
        let rule = IngressRule::tcp_from_group(5432, "sg-a", None);
        let c = ingress_changes(5432, &BTreeSet::new(), std::slice::from_ref(&rule));
        assert_eq!(c, IngressChanges { revoke: vec![rule], authorize: vec![] });
        assert_eq!(ingress_changes(5432, &BTreeSet::new(), &[]), IngressChanges::default());
    }

    #[test]
    fn parameters_that_differ_are_set_and_those_dropped_from_the_spec_reset() {
        let want = BTreeMap::from([("a".to_string(), "1".to_string()), ("b".to_string(), "2".to_string())]);
        let have = BTreeMap::from([("a".to_string(), "1".to_string()), ("c".to_string(), "3".to_string())]);
        let c = parameter_changes(&want, &have);
        assert_eq!(c.set, BTreeMap::from([("b".to_string(), "2".to_string())]));
        assert_eq!(c.reset, vec!["c".to_string()]);
        assert_eq!(parameter_changes(&want, &want), ParameterChanges::default());
    }

    #[derive(Debug, PartialEq)]
    enum Step {
        Revoke(usize),
        Authorize(usize),
        Set(usize),
        Reset(usize),
    }

    #[test]
    fn changes_become_a_kinds_steps_and_no_change_none() {
        let rule = IngressRule::tcp_from_group(6379, "sg-a", None);
        let both = IngressChanges { revoke: vec![rule.clone(), rule.clone()], authorize: vec![rule] };
        let steps = both.steps(|r| Step::Revoke(r.len()), |r| Step::Authorize(r.len()));
        assert_eq!(steps, [Step::Revoke(2), Step::Authorize(1)]);
        assert_eq!(IngressChanges::default().steps(|r| Step::Revoke(r.len()), |r| Step::Authorize(r.len())), []);
        let reset_only = ParameterChanges { set: BTreeMap::new(), reset: vec!["a".into()] };
        assert_eq!(reset_only.steps(|s| Step::Set(s.len()), |r| Step::Reset(r.len())), [Step::Reset(1)]);
    }
}
