//! What to do about a Cache, given what it wants and what AWS has: pure, no I/O.
//!
//! The resources form two layers: the security group, the cache subnet group, the cache parameter
//! group and — with transit encryption — the Secrets Manager secret of the AUTH token
//! (independent of each other), then the replication group that uses them all. EC2, ElastiCache
//! and Secrets Manager make the first layer synchronously, so a create writes both in one wave, in
//! that order, without another look at AWS. The secret is written before CreateReplicationGroup
//! and the group takes its token from it: a crash between the two finds the secret, and the group
//! is created with the token it holds, never with a second one. A secret scheduled for deletion
//! is restored first and the group waits for the next look.
//!
//! A reconcile writes at most one wave, and at most one change of the replication group itself (a
//! modification, or a change of its replica count): ElastiCache refuses the next while it applies
//! one. A group AWS is busy with (creating, modifying, snapshotting, ...) is waited for and never
//! modified a second time; what can change around it, does.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use stackwright_api::conditions::reason;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::ec2::{IngressRule, SecurityGroup};
use stackwright_cloud::elasticache::{Modification, ParameterGroup, ReplicationGroup, SubnetGroup};
use stackwright_cloud::secretsmanager::Secret;

use super::desired::DesiredCache;
use crate::supporting::{ingress_changes, name_conflict_message, parameter_changes};

/// What AWS has of a Cache's resources (each looked up by its deterministic name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub security_group: Option<SecurityGroup>,
    pub subnet_group: Option<SubnetGroup>,
    pub parameter_group: Option<ParameterGroup>,
    /// The user-set values of the parameter group (when it exists).
    pub parameters: BTreeMap<String, String>,
    /// Its `tags` are `None` when the read did not ask for them (the bulk read of a resync).
    pub replication_group: Option<ReplicationGroup>,
    /// The secret of the AUTH token (looked up with transit encryption only).
    pub auth_secret: Option<Secret>,
    /// Whether the tags of the subnet and parameter groups were read. The resync path reads the
    /// groups from a bulk listing without tags: then their ownership and tags are not checked
    /// (their empty tags say nothing).
    pub group_tags_known: bool,
    /// The subnet and parameter groups and the token secret were not read: the replication group
    /// is busy, and nothing about them can change until it is available (only the security
    /// group's rules can).
    pub groups_skipped: bool,
}

impl Default for Observed {
    /// Nothing exists; the tags of what does not exist are known (none), so every check is on.
    fn default() -> Self {
        Observed {
            security_group: None,
            subnet_group: None,
            parameter_group: None,
            parameters: BTreeMap::new(),
            replication_group: None,
            auth_secret: None,
            group_tags_known: true,
            groups_skipped: false,
        }
    }
}

/// One write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    CreateSecurityGroup,
    AuthorizeIngress(Vec<IngressRule>),
    RevokeIngress(Vec<IngressRule>),
    CreateSubnetGroup,
    ModifySubnetGroup(Vec<String>),
    CreateParameterGroup,
    SetParameters(BTreeMap<String, String>),
    ResetParameters(Vec<String>),
    /// Generate an AUTH token and store it in a new secret under the desired name.
    CreateAuthSecret,
    /// Cancel the scheduled deletion of the AUTH token's secret: it holds the token the group was
    /// (or will be) created with, so it is brought back, never replaced by a second one.
    RestoreAuthSecret,
    /// Create the replication group, with the token the AUTH secret holds.
    CreateReplicationGroup,
    ModifyReplicationGroup(Box<Modification>),
    /// Add read replicas until the group has this many.
    IncreaseReplicas(u32),
    /// Remove read replicas until the group has this many.
    DecreaseReplicas(u32),
    /// Put the ownership tags (and `spec.tags`) on a resource (adopted, or tags drifted).
    Tag {
        resource: Resource,
        arn_or_id: String,
    },
}

/// The resources of a Cache, for messages, tags and the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    SecurityGroup,
    SubnetGroup,
    ParameterGroup,
    ReplicationGroup,
    AuthSecret,
}

impl Resource {
    pub fn kind(self) -> &'static str {
        match self {
            Resource::SecurityGroup => "ec2:SecurityGroup",
            Resource::SubnetGroup => "elasticache:CacheSubnetGroup",
            Resource::ParameterGroup => "elasticache:CacheParameterGroup",
            Resource::ReplicationGroup => "elasticache:ReplicationGroup",
            Resource::AuthSecret => "secretsmanager:Secret",
        }
    }
}

/// The verdict on one Cache: what [`plan`] decides.
pub type Plan = crate::supporting::Plan<Step>;

/// Decides what to do. `vpc_id`/`subnet_ids` are the resolved placement; `admitted` the task
/// security groups that may connect; `adopt` whether resources without our tags may be taken over.
pub fn plan(
    want: &DesiredCache,
    vpc_id: &str,
    subnet_ids: &[String],
    admitted: &BTreeSet<String>,
    observed: &Observed,
    id: &ObjectIdentity,
    adopt: bool,
) -> Plan {
    if let Some(blocked) = conflicts(observed, id, adopt) {
        return blocked;
    }
    if let Some(group) = &observed.replication_group
        && let Some(blocked) = unchangeable(want, group, observed.auth_secret.as_ref(), !observed.groups_skipped)
    {
        return blocked;
    }
    let group_tags = |tags| observed.group_tags_known.then_some(tags);
    let mut supporting = Vec::new();
    // Whether something the replication group needs does not exist (or is not usable) yet.
    let mut missing = false;
    // Whether the AUTH secret is being brought back from its scheduled deletion.
    let mut restoring = false;
    match &observed.security_group {
        None => {
            supporting.push(Step::CreateSecurityGroup);
            missing = true;
        }
        Some(sg) => {
            tag_if_drifted(&mut supporting, want, Resource::SecurityGroup, &sg.id, Some(&sg.tags));
            supporting.extend(
                ingress_changes(want.port, admitted, &sg.ingress).steps(Step::RevokeIngress, Step::AuthorizeIngress),
            );
        }
    }
    match &observed.subnet_group {
        _ if observed.groups_skipped => {}
        None => {
            supporting.push(Step::CreateSubnetGroup);
            missing = true;
        }
        Some(g) if g.vpc_id != vpc_id => {
            return Plan::Blocked {
                reason: reason::INVALID_SPEC,
                message: format!(
                    "cache subnet group {} is in {}, the cache's network is now {vpc_id}: ElastiCache cannot move a replication group to another VPC; create a new Cache in that network (deletionPolicy: Snapshot keeps the data of this one)",
                    g.name, g.vpc_id
                ),
            };
        }
        Some(g) => {
            tag_if_drifted(&mut supporting, want, Resource::SubnetGroup, &g.arn, group_tags(&g.tags));
            if g.subnet_ids.iter().collect::<BTreeSet<_>>() != subnet_ids.iter().collect::<BTreeSet<_>>() {
                supporting.push(Step::ModifySubnetGroup(subnet_ids.to_vec()));
            }
        }
    }
    match &observed.parameter_group {
        _ if observed.groups_skipped => {}
        None => {
            supporting.push(Step::CreateParameterGroup);
            if !want.parameters.is_empty() {
                supporting.push(Step::SetParameters(want.parameters.clone()));
            }
            missing = true;
        }
        Some(g) => {
            tag_if_drifted(&mut supporting, want, Resource::ParameterGroup, &g.arn, group_tags(&g.tags));
            supporting.extend(
                parameter_changes(&want.parameters, &observed.parameters)
                    .steps(Step::SetParameters, Step::ResetParameters),
            );
        }
    }
    if want.transit_encryption && !observed.groups_skipped {
        match &observed.auth_secret {
            None => {
                supporting.push(Step::CreateAuthSecret);
                missing = true;
            }
            Some(secret) => {
                if secret.scheduled_for_deletion {
                    // Its value cannot be read (nor its tags changed) until it is restored.
                    supporting.push(Step::RestoreAuthSecret);
                    missing = true;
                    restoring = true;
                }
                tag_if_drifted(&mut supporting, want, Resource::AuthSecret, &secret.arn, Some(&secret.tags));
            }
        }
    }

    let Some(group) = &observed.replication_group else {
        // The group needs them all: the wave makes what is missing of them first, then it.
        return if restoring {
            Plan::Write(supporting)
        } else {
            Plan::Write(with(supporting, Step::CreateReplicationGroup))
        };
    };
    if missing {
        // A supporting resource vanished under a running group: recreate it first.
        return Plan::Write(supporting);
    }
    if group.status != "available" {
        // Never modify (nor tag: ElastiCache tags available groups only) what AWS is still
        // working on; what can change around it, does.
        return if supporting.is_empty() {
            Plan::Waiting { status: group.status.clone() }
        } else {
            Plan::Write(supporting)
        };
    }
    tag_if_drifted(&mut supporting, want, Resource::ReplicationGroup, &group.arn, group.tags.as_ref());
    let sg_id = observed.security_group.as_ref().map(|sg| sg.id.as_str()).unwrap_or_default();
    match group_change(want, group, sg_id) {
        Err(blocked) => blocked,
        Ok(Some(step)) => Plan::Write(with(supporting, step)),
        Ok(None) if !supporting.is_empty() => Plan::Write(supporting),
        Ok(None) => Plan::InSync { pending: pending(group) },
    }
}

fn with(mut steps: Vec<Step>, last: Step) -> Vec<Step> {
    steps.push(last);
    steps
}

/// Adds a Tag step when `tags` (`None`: not read, nothing to compare) lack one the object wants.
fn tag_if_drifted(
    steps: &mut Vec<Step>,
    want: &DesiredCache,
    resource: Resource,
    arn_or_id: &str,
    tags: Option<&BTreeMap<String, String>>,
) {
    if let Some(tags) = tags
        && want.tags.iter().any(|(k, v)| tags.get(k) != Some(v))
    {
        steps.push(Step::Tag { resource, arn_or_id: arn_or_id.to_string() });
    }
}

/// A resource under our name that is not ours (and no adoption): NameConflict, naming it.
/// Resources whose tags were not read are not judged.
fn conflicts(observed: &Observed, id: &ObjectIdentity, adopt: bool) -> Option<Plan> {
    if adopt {
        return None;
    }
    let known = observed.group_tags_known;
    let found = [
        observed.security_group.as_ref().map(|g| (Resource::SecurityGroup, &g.name, &g.tags)),
        observed.subnet_group.as_ref().filter(|_| known).map(|g| (Resource::SubnetGroup, &g.name, &g.tags)),
        observed.parameter_group.as_ref().filter(|_| known).map(|g| (Resource::ParameterGroup, &g.name, &g.tags)),
        observed.replication_group.as_ref().and_then(|g| Some((Resource::ReplicationGroup, &g.id, g.tags.as_ref()?))),
        observed.auth_secret.as_ref().map(|s| (Resource::AuthSecret, &s.name, &s.tags)),
    ];
    let (resource, name, _) = found.into_iter().flatten().find(|(_, _, tags)| !id.owns(tags))?;
    Some(Plan::Blocked { reason: reason::NAME_CONFLICT, message: name_conflict_message(resource.kind(), name) })
}

/// What no write of Stackwright can change on an existing replication group, whatever its status:
/// a person decides, and nothing is written (not even the first wave, which would leave orphans).
fn unchangeable(
    want: &DesiredCache,
    have: &ReplicationGroup,
    auth_secret: Option<&Secret>,
    secret_read: bool,
) -> Option<Plan> {
    let invalid = |message: String| Some(Plan::Blocked { reason: reason::INVALID_SPEC, message });
    let id = &have.id;
    // The CRD makes spec.engine immutable; a group adopted with the other engine still gets here.
    if !have.engine.is_empty() && !have.engine.eq_ignore_ascii_case(want.engine) {
        return invalid(format!(
            "replication group {id} runs {}, not {}: Stackwright does not change the engine of a replication group; set spec.engine to {}, or create a new Cache",
            have.engine, want.engine, have.engine
        ));
    }
    if !have.at_rest_encryption {
        return invalid(format!(
            "replication group {id} is not encrypted at rest, which Stackwright requires and ElastiCache cannot switch on in place; move its data to a new Cache (from a snapshot) instead of adopting it"
        ));
    }
    // The CRD does not make spec.transitEncryption immutable (only engine and region have a
    // `self == oldSelf` rule), so a change reaches the controller and is refused here.
    // ElastiCache can migrate a group in place through a `preferred` mode in which clients move
    // to TLS and an AUTH token; Stackwright does not drive that migration.
    let transit = have.pending.transit_encryption.unwrap_or(have.transit_encryption);
    if transit != want.transit_encryption {
        let (is, asked, back) = if transit { ("encrypts", "off", "true") } else { ("does not encrypt", "on", "false") };
        return invalid(format!(
            "replication group {id} {is} in transit: Stackwright does not switch transit encryption {asked} on an existing group (its clients must change with it); set spec.transitEncryption back to {back}, or create a new Cache"
        ));
    }
    if !want.transit_encryption {
        return None;
    }
    let conflict = |message: String| Some(Plan::Blocked { reason: reason::CONFLICT, message });
    let secret = want.auth_token_secret.as_deref().unwrap_or_default();
    if !have.auth_token_enabled && have.pending.auth_token.is_none() {
        return conflict(format!(
            "replication group {id} encrypts in transit but requires no AUTH token, and Stackwright does not set one on an existing group; set its token to the value of secret {secret} (create it if needed), or create a new Cache"
        ));
    }
    if secret_read && auth_secret.is_none() {
        // Creating a secret now would hold a token the group was not created with.
        return conflict(format!(
            "replication group {id} requires an AUTH token, but secret {secret} that should hold it does not exist (deleted for good, or the group was not created by this object); store the group's token (or a new one after rotating it) in secret {secret} with this object's tags"
        ));
    }
    None
}

/// The one change of an available group this reconcile makes, or why it cannot be made. A
/// modification goes first; a change of the replica count waits until none is needed, because
/// ElastiCache refuses it while the group is `modifying`.
fn group_change(want: &DesiredCache, have: &ReplicationGroup, sg_id: &str) -> Result<Option<Step>, Plan> {
    let p = &have.pending;
    let mut m = Modification { apply_immediately: true, ..Modification::default() };
    if have.node_type != want.node_type && p.node_type.as_deref() != Some(want.node_type.as_str()) {
        m.node_type = Some(want.node_type.clone());
    }
    // The engine version, parameter group and security groups are read from the member clusters:
    // compared only when those were seen (then the version is known).
    if let Some(running) = &have.engine_version {
        match compare_versions(&want.engine_version, running) {
            Version::Satisfied => {}
            Version::Downgrade => {
                return Err(Plan::Blocked {
                    reason: reason::INVALID_SPEC,
                    message: format!(
                        "spec.version {} is older than the running {running}: ElastiCache cannot downgrade a major version; set spec.version to {} or later",
                        want.engine_version,
                        major_minor_text(running)
                    ),
                });
            }
            Version::Upgrade
                if p.engine_version
                    .as_deref()
                    .is_some_and(|v| compare_versions(&want.engine_version, v) == Version::Satisfied) => {}
            Version::Upgrade => m.engine_version = Some(want.engine_version.clone()),
        }
        // A new major version comes with a parameter group of its family (a new name).
        if have.parameter_group.as_deref() != Some(want.parameter_group.as_str()) {
            m.parameter_group = Some(want.parameter_group.clone());
        }
        if !sg_id.is_empty() && have.security_group_ids != [sg_id] {
            m.security_group_ids = Some(vec![sg_id.to_string()]);
        }
    }
    if have.snapshot_retention_limit != want.snapshot_retention_days {
        m.snapshot_retention_limit = Some(want.snapshot_retention_days);
    }
    let replicas = replica_change(want.replicas, have, &mut m);
    Ok(if m.is_empty() { replicas } else { Some(Step::ModifyReplicationGroup(Box::new(m))) })
}

/// The replica count and the failover settings that go with it, in the order ElastiCache accepts:
/// automatic failover and Multi-AZ need a replica, so from none they are switched on only once the
/// group has its replicas (a later reconcile), and the last replica goes only once they are off
/// (switched off here first, as part of `m`). Between one and more replicas the count changes
/// directly. Returns the replica count step, if any; the settings go into `m`, and while `m`
/// changes anything the count step waits (so failover is off before the last replica goes).
fn replica_change(want: u32, have: &ReplicationGroup, m: &mut Modification) -> Option<Step> {
    let has = u32::try_from(have.replicas()).unwrap_or(u32::MAX);
    let failover = have.pending.automatic_failover.unwrap_or(have.automatic_failover);
    let ha = want >= 1;
    if ha && has == 0 {
        return Some(Step::IncreaseReplicas(want));
    }
    if failover != ha {
        m.automatic_failover = Some(ha);
    }
    if have.multi_az != ha {
        m.multi_az = Some(ha);
    }
    match has.cmp(&want) {
        Ordering::Less => Some(Step::IncreaseReplicas(want)),
        Ordering::Greater => Some(Step::DecreaseReplicas(want)),
        Ordering::Equal => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Version {
    Satisfied,
    Upgrade,
    Downgrade,
}

/// Whether the running version satisfies the asked one, compared on major and minor: ElastiCache
/// takes `7.1` and reports `7.1.0`, and picks the patch release itself. A later minor of the same
/// major also satisfies (it was installed by hand or by AWS and cannot be undone); an older one is
/// upgraded; an older major than the running one is a downgrade. `6.x` (or `7`) asks for any
/// minor of that major.
fn compare_versions(want: &str, have: &str) -> Version {
    let ((want_major, want_minor), (have_major, have_minor)) = (major_minor(want), major_minor(have));
    match want_major.cmp(&have_major) {
        Ordering::Greater => Version::Upgrade,
        Ordering::Less => Version::Downgrade,
        Ordering::Equal if want_minor.is_some_and(|w| w > have_minor.unwrap_or(0)) => Version::Upgrade,
        Ordering::Equal => Version::Satisfied,
    }
}

/// `(7, Some(1))` for `7.1` and `7.1.0`; `(6, None)` for `6.x` and `6`.
fn major_minor(version: &str) -> (u32, Option<u32>) {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    (parts.next().flatten().unwrap_or(0), parts.next().flatten())
}

/// `7.1` for `7.1.0`: the form a spec asks with.
fn major_minor_text(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// What ElastiCache has accepted and not applied yet, as status reports it (`setting: value`).
pub fn pending(group: &ReplicationGroup) -> BTreeMap<String, String> {
    let p = &group.pending;
    [
        ("nodeType", p.node_type.clone()),
        ("version", p.engine_version.clone()),
        ("automaticFailover", p.automatic_failover.map(|on| on.to_string())),
        ("transitEncryption", p.transit_encryption.map(|on| on.to_string())),
        ("authToken", p.auth_token.clone()),
        ("primaryCluster", p.primary_cluster_id.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use stackwright_api::cache::CacheSpec;
    use stackwright_cloud::ec2::Source;
    use stackwright_cloud::elasticache::{Endpoint, PendingModifications};

    use super::super::desired::desired;
    use super::*;

    fn id() -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "dev".into(),
            kind: "Cache".into(),
            namespace: "acc".into(),
            name: "redis".into(),
            uid: "u-1".into(),
        }
    }

    fn want(yaml: &str) -> DesiredCache {
        let spec: CacheSpec = serde_yaml::from_str(yaml).expect("valid spec");
        desired(&spec, &id(), "us-east-1")
    }

    const SPEC: &str = "{engine: redis, version: '7.1', nodeType: cache.t3.micro, network: {appStack: web}}";
    const VPC: &str = "vpc-1";

    /// SPEC with more fields (`replicas: 2, transitEncryption: false`).
    fn spec_with(fields: &str) -> String {
        format!("{{engine: redis, version: '7.1', nodeType: cache.t3.micro, network: {{appStack: web}}, {fields}}}")
    }

    fn subnets() -> Vec<String> {
        vec!["subnet-a".into(), "subnet-b".into()]
    }

    fn admitted() -> BTreeSet<String> {
        BTreeSet::from(["sg-task".to_string()])
    }

    /// AWS holding exactly what `d` asks for.
    fn matching(d: &DesiredCache) -> Observed {
        let id = &d.replication_group;
        Observed {
            groups_skipped: false,
            security_group: Some(SecurityGroup {
                id: "sg-cache".into(),
                name: d.security_group.clone(),
                vpc_id: VPC.into(),
                tags: d.tags.clone(),
                ingress: vec![IngressRule::tcp_from_group(6379, "sg-task", Some("stackwright"))],
                ..SecurityGroup::default()
            }),
            subnet_group: Some(SubnetGroup {
                name: d.subnet_group.clone(),
                arn: "arn:sng".into(),
                description: d.description.clone(),
                vpc_id: VPC.into(),
                subnet_ids: subnets(),
                tags: d.tags.clone(),
            }),
            parameter_group: Some(ParameterGroup {
                name: d.parameter_group.clone(),
                arn: "arn:pg".into(),
                family: d.family.clone(),
                description: d.description.clone(),
                tags: d.tags.clone(),
            }),
            parameters: d.parameters.clone(),
            replication_group: Some(ReplicationGroup {
                id: id.clone(),
                arn: "arn:rg".into(),
                status: "available".into(),
                engine: d.engine.into(),
                engine_version: Some(format!("{}.0", d.engine_version)),
                node_type: d.node_type.clone(),
                member_clusters: (1..=d.replicas + 1).map(|n| format!("{id}-00{n}")).collect(),
                automatic_failover: d.replicas >= 1,
                multi_az: d.replicas >= 1,
                at_rest_encryption: true,
                transit_encryption: d.transit_encryption,
                auth_token_enabled: d.transit_encryption,
                snapshot_retention_limit: d.snapshot_retention_days,
                parameter_group: Some(d.parameter_group.clone()),
                security_group_ids: vec!["sg-cache".into()],
                subnet_group: Some(d.subnet_group.clone()),
                primary_endpoint: Some(Endpoint { address: "master.redis.cache".into(), port: 6379 }),
                reader_endpoint: Some(Endpoint { address: "replica.redis.cache".into(), port: 6379 }),
                pending: PendingModifications::default(),
                tags: Some(d.tags.clone()),
            }),
            auth_secret: d.auth_token_secret.as_ref().map(|name| Secret {
                arn: "arn:secret".into(),
                name: name.clone(),
                tags: d.tags.clone(),
                scheduled_for_deletion: false,
            }),
            group_tags_known: true,
        }
    }

    /// A change made to what AWS has, by hand or by accident.
    type Edit = fn(&mut Observed);

    fn group(o: &mut Observed) -> &mut ReplicationGroup {
        o.replication_group.as_mut().expect("replication group")
    }

    /// A group of `d` with `replicas` read replicas, failover and Multi-AZ as given.
    fn with_replicas(d: &DesiredCache, replicas: usize, failover: bool) -> Observed {
        let mut o = matching(d);
        let g = group(&mut o);
        g.member_clusters = (1..=replicas + 1).map(|n| format!("{}-00{n}", g.id)).collect();
        g.automatic_failover = failover;
        g.multi_az = failover;
        o
    }

    fn run(d: &DesiredCache, o: &Observed) -> Plan {
        plan(d, VPC, &subnets(), &admitted(), o, &id(), false)
    }

    /// The change of the replication group a plan makes (its last step), with nothing before it.
    fn only_group_change(p: Plan) -> Step {
        let Plan::Write(mut steps) = p else { panic!("write: {p:?}") };
        assert_eq!(steps.len(), 1, "{steps:?}");
        steps.remove(0)
    }

    fn modification(p: Plan) -> Modification {
        match only_group_change(p) {
            Step::ModifyReplicationGroup(m) => *m,
            other => panic!("a modification, not {other:?}"),
        }
    }

    // --- Waves -------------------------------------------------------------------------------

    #[test]
    fn nothing_exists_so_the_groups_and_the_auth_secret_come_first_then_the_replication_group() {
        let d = want(SPEC);
        assert_eq!(
            run(&d, &Observed::default()),
            Plan::Write(vec![
                Step::CreateSecurityGroup,
                Step::CreateSubnetGroup,
                Step::CreateParameterGroup,
                Step::SetParameters(BTreeMap::from([("maxmemory-policy".into(), "allkeys-lru".into())])),
                Step::CreateAuthSecret,
                Step::CreateReplicationGroup,
            ])
        );
        // A crash after the first layer: the next look creates only the group.
        let mut o = matching(&d);
        o.replication_group = None;
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::CreateReplicationGroup]));
    }

    #[test]
    fn without_transit_encryption_there_is_no_auth_secret() {
        let d = want(&spec_with("transitEncryption: false"));
        let Plan::Write(first) = run(&d, &Observed::default()) else { panic!("write") };
        assert!(!first.iter().any(|s| matches!(s, Step::CreateAuthSecret | Step::RestoreAuthSecret)), "{first:?}");
        let mut o = matching(&d);
        assert_eq!(o.auth_secret, None);
        o.replication_group = None;
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::CreateReplicationGroup]));
        assert_eq!(run(&d, &matching(&d)), Plan::InSync { pending: BTreeMap::new() });
    }

    #[test]
    fn the_replication_group_follows_every_supporting_resource_it_lacks() {
        let d = want(SPEC);
        let lacking: [(&str, Edit); 4] = [
            ("security group", |o| o.security_group = None),
            ("subnet group", |o| o.subnet_group = None),
            ("parameter group", |o| o.parameter_group = None),
            ("AUTH secret", |o| o.auth_secret = None),
        ];
        for (what, remove) in lacking {
            let mut o = matching(&d);
            o.replication_group = None;
            remove(&mut o);
            let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
            assert_eq!(steps.last(), Some(&Step::CreateReplicationGroup), "without its {what}: {steps:?}");
            let creates = steps.iter().filter(|s| !matches!(s, Step::CreateReplicationGroup | Step::SetParameters(_)));
            assert_eq!(creates.count(), 1, "the {what} alone is made before the group: {steps:?}");
        }
    }

    #[test]
    fn a_crash_between_the_secret_and_the_group_reuses_the_secret() {
        // The first wave went out, the process died before CreateReplicationGroup: the secret is
        // there, so the group is created with its token and no second secret is made.
        let d = want(SPEC);
        let mut o = matching(&d);
        o.replication_group = None;
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::CreateReplicationGroup]));
    }

    #[test]
    fn an_auth_secret_scheduled_for_deletion_is_restored_never_created_again() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.replication_group = None;
        o.auth_secret.as_mut().expect("secret").scheduled_for_deletion = true;
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::RestoreAuthSecret]), "the group waits for the restore");
        // Under a running group too: restored, and the group is left alone this time.
        let mut o = matching(&d);
        o.auth_secret.as_mut().expect("secret").scheduled_for_deletion = true;
        group(&mut o).node_type = "cache.t3.small".into();
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::RestoreAuthSecret]));
    }

    #[test]
    fn a_lost_auth_token_needs_a_person_and_no_second_secret_is_made() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.auth_secret = None;
        let Plan::Blocked { reason, message } = run(&d, &o) else { panic!("blocked") };
        assert_eq!(reason, "Conflict");
        assert!(message.contains(d.auth_token_secret.as_deref().expect("name")), "{message}");
        // The same when the group was adopted and its token is not in our secret.
        assert!(matches!(
            plan(&d, VPC, &subnets(), &admitted(), &o, &id(), true),
            Plan::Blocked { reason: "Conflict", .. }
        ));
    }

    #[test]
    fn a_supporting_resource_that_vanished_is_recreated_before_the_group_is_touched() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.parameter_group = None;
        group(&mut o).node_type = "cache.t3.small".into();
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![Step::CreateParameterGroup, Step::SetParameters(d.parameters.clone())])
        );
    }

    // --- AWS states ------------------------------------------------------------------------------

    #[test]
    fn in_sync_writes_nothing() {
        let d = want(SPEC);
        assert_eq!(run(&d, &matching(&d)), Plan::InSync { pending: BTreeMap::new() });
        let ha = want(&spec_with("replicas: 2, snapshotRetentionDays: 7"));
        assert_eq!(run(&ha, &matching(&ha)), Plan::InSync { pending: BTreeMap::new() });
    }

    #[test]
    fn a_busy_group_is_waited_for_and_never_modified_again() {
        let d = want(SPEC);
        for status in ["creating", "modifying", "snapshotting", "deleting", "create-failed"] {
            let mut o = matching(&d);
            let g = group(&mut o);
            g.status = status.into();
            g.node_type = "cache.t3.small".into();
            assert_eq!(run(&d, &o), Plan::Waiting { status: status.into() }, "{status}");
        }
    }

    #[test]
    fn a_busy_group_read_without_its_groups_and_secret_is_waited_for_and_its_rules_still_follow() {
        let d = want(SPEC);
        let mut o = Observed {
            groups_skipped: true,
            subnet_group: None,
            parameter_group: None,
            auth_secret: None,
            parameters: BTreeMap::new(),
            ..matching(&d)
        };
        let g = group(&mut o);
        g.status = "creating".into();
        g.tags = None;
        assert_eq!(run(&d, &o), Plan::Waiting { status: "creating".into() });
        o.security_group.as_mut().expect("sg").ingress.clear();
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(matches!(steps.as_slice(), [Step::AuthorizeIngress(_)]), "{steps:?}");
    }

    #[test]
    fn supporting_fixes_go_out_while_the_group_is_busy() {
        let d = want(SPEC);
        let mut o = matching(&d);
        let g = group(&mut o);
        g.status = "modifying".into();
        g.node_type = "cache.t3.small".into();
        o.parameters.insert("maxmemory-policy".into(), "noeviction".into());
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::SetParameters(d.parameters.clone())]));
    }

    // --- Supporting resources ----------------------------------------------------------------------

    #[test]
    fn security_group_rules_follow_the_bindings_exactly() {
        let d = want(SPEC);
        let mut o = matching(&d);
        // A rule added by hand, and the bound stack's rule removed by hand.
        o.security_group.as_mut().expect("sg").ingress = vec![IngressRule {
            source: Source::Cidr("0.0.0.0/0".into()),
            ..IngressRule::tcp_from_group(6379, "x", None)
        }];
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(matches!(&steps[0], Step::RevokeIngress(r) if r.len() == 1), "{steps:?}");
        let Step::AuthorizeIngress(rules) = &steps[1] else { panic!("{steps:?}") };
        assert_eq!(rules[0].admits(), IngressRule::tcp_from_group(6379, "sg-task", None));
        assert_eq!(steps.len(), 2, "the group is not touched for it: {steps:?}");
        // No binding stack: no rule at all.
        let none = plan(&d, VPC, &subnets(), &BTreeSet::new(), &matching(&d), &id(), false);
        assert_eq!(none, Plan::Write(vec![Step::RevokeIngress(matching(&d).security_group.expect("sg").ingress)]));
    }

    #[test]
    fn subnets_follow_the_placement_and_another_vpc_needs_a_person() {
        let d = want(SPEC);
        let moved = vec!["subnet-b".to_string(), "subnet-c".to_string()];
        assert_eq!(
            plan(&d, VPC, &moved, &admitted(), &matching(&d), &id(), false),
            Plan::Write(vec![Step::ModifySubnetGroup(moved)])
        );
        let mut reordered = subnets();
        reordered.reverse();
        assert!(matches!(plan(&d, VPC, &reordered, &admitted(), &matching(&d), &id(), false), Plan::InSync { .. }));
        let elsewhere = plan(&d, "vpc-2", &subnets(), &admitted(), &matching(&d), &id(), false);
        let Plan::Blocked { reason, message } = elsewhere else { panic!("blocked") };
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("another VPC") && message.contains("create a new Cache"), "{message}");
    }

    #[test]
    fn parameters_are_set_and_reset_to_match() {
        let d = want(&spec_with("evictionPolicy: volatile-ttl"));
        let mut o = matching(&d);
        o.parameters = BTreeMap::from([
            ("maxmemory-policy".into(), "allkeys-lru".into()),
            ("notify-keyspace-events".into(), "Ex".into()),
        ]);
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![
                Step::SetParameters(BTreeMap::from([("maxmemory-policy".into(), "volatile-ttl".into())])),
                Step::ResetParameters(vec!["notify-keyspace-events".into()]),
            ])
        );
    }

    // --- Ownership and tags ------------------------------------------------------------------------

    #[test]
    fn someone_elses_resources_are_a_conflict_unless_adopted() {
        let d = want(SPEC);
        let untag: [(&str, &str, Edit); 5] = [
            ("ec2:SecurityGroup", "sg-cache", |o| o.security_group.as_mut().expect("sg").tags.clear()),
            ("elasticache:CacheSubnetGroup", "arn:sng", |o| o.subnet_group.as_mut().expect("sng").tags.clear()),
            ("elasticache:CacheParameterGroup", "arn:pg", |o| o.parameter_group.as_mut().expect("pg").tags.clear()),
            ("elasticache:ReplicationGroup", "arn:rg", |o| group(o).tags = Some(BTreeMap::new())),
            ("secretsmanager:Secret", "arn:secret", |o| o.auth_secret.as_mut().expect("secret").tags.clear()),
        ];
        for (kind, arn_or_id, clear) in untag {
            let mut o = matching(&d);
            clear(&mut o);
            let Plan::Blocked { reason, message } = run(&d, &o) else { panic!("blocked for {kind}") };
            assert_eq!(reason, "NameConflict");
            assert!(message.starts_with(kind) && message.contains("stackwright.io/adopt"), "{message}");
            let Plan::Write(steps) = plan(&d, VPC, &subnets(), &admitted(), &o, &id(), true) else { panic!("write") };
            let [Step::Tag { resource, arn_or_id: tagged }] = steps.as_slice() else { panic!("{steps:?}") };
            assert_eq!((resource.kind(), tagged.as_str()), (kind, arn_or_id));
        }
    }

    #[test]
    fn group_tags_that_were_not_read_are_neither_a_conflict_nor_drift() {
        // The resync path: subnet and parameter groups from a listing, the group from the bulk read.
        let d = want(SPEC);
        let mut o = matching(&d);
        o.group_tags_known = false;
        o.subnet_group.as_mut().expect("sng").tags.clear();
        o.parameter_group.as_mut().expect("pg").tags.clear();
        group(&mut o).tags = None;
        assert_eq!(run(&d, &o), Plan::InSync { pending: BTreeMap::new() });
        // The other checks still run.
        o.parameters.clear();
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::SetParameters(d.parameters.clone())]));
        // With the tags read, the same empty tags are someone else's groups.
        o.group_tags_known = true;
        assert!(matches!(run(&d, &o), Plan::Blocked { reason: "NameConflict", .. }));
    }

    #[test]
    fn drifted_tags_are_put_back_and_the_group_only_while_available() {
        let d = want(&spec_with("tags: {team: cache}"));
        let mut o = matching(&want(SPEC));
        o.replication_group = matching(&d)
            .replication_group
            .map(|g| ReplicationGroup { tags: matching(&want(SPEC)).replication_group.and_then(|g| g.tags), ..g });
        let tags = |resource, arn_or_id: &str| Step::Tag { resource, arn_or_id: arn_or_id.into() };
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![
                tags(Resource::SecurityGroup, "sg-cache"),
                tags(Resource::SubnetGroup, "arn:sng"),
                tags(Resource::ParameterGroup, "arn:pg"),
                tags(Resource::AuthSecret, "arn:secret"),
                tags(Resource::ReplicationGroup, "arn:rg"),
            ])
        );
        group(&mut o).status = "snapshotting".into();
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(!steps.contains(&tags(Resource::ReplicationGroup, "arn:rg")), "{steps:?}");
    }

    #[test]
    fn a_restored_secret_is_tagged_after_its_restore() {
        let d = want(&spec_with("tags: {team: cache}"));
        let mut o = matching(&d);
        o.replication_group = None;
        let secret = o.auth_secret.as_mut().expect("secret");
        secret.scheduled_for_deletion = true;
        secret.tags = want(SPEC).tags;
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![
                Step::RestoreAuthSecret,
                Step::Tag { resource: Resource::AuthSecret, arn_or_id: "arn:secret".into() }
            ])
        );
    }

    // --- Modifications -----------------------------------------------------------------------------

    #[test]
    fn the_node_type_changes_in_place_and_a_pending_one_is_not_asked_again() {
        let d = want(&SPEC.replace("cache.t3.micro", "cache.r7g.large"));
        let mut o = matching(&want(SPEC));
        o.replication_group = matching(&d).replication_group;
        group(&mut o).node_type = "cache.t3.micro".into();
        let m = modification(run(&d, &o));
        assert_eq!(
            m,
            Modification {
                node_type: Some("cache.r7g.large".into()),
                apply_immediately: true,
                ..Modification::default()
            }
        );
        group(&mut o).pending.node_type = Some("cache.r7g.large".into());
        let Plan::InSync { pending } = run(&d, &o) else { panic!("in sync") };
        assert_eq!(pending, BTreeMap::from([("nodeType".to_string(), "cache.r7g.large".to_string())]));
    }

    #[test]
    fn versions_compare_on_major_and_minor() {
        for (want, have, expected) in [
            ("7.1", "7.1.0", Version::Satisfied),
            ("7.1", "7.1.2", Version::Satisfied),
            ("7.1", "7.2.4", Version::Satisfied),
            ("7.0", "7.1.0", Version::Satisfied),
            ("6.x", "6.2.6", Version::Satisfied),
            ("7", "7.1.0", Version::Satisfied),
            ("5.0.6", "5.0.6", Version::Satisfied),
            ("8.0", "8.0.1", Version::Satisfied),
            ("7.1", "7.0.7", Version::Upgrade),
            ("7.1", "6.2.6", Version::Upgrade),
            ("8.0", "7.2.6", Version::Upgrade),
            ("6.2", "6.0.5", Version::Upgrade),
            ("6.2", "7.1.0", Version::Downgrade),
            ("6.x", "7.0.7", Version::Downgrade),
        ] {
            assert_eq!(compare_versions(want, have), expected, "want {want}, running {have}");
        }
    }

    #[test]
    fn a_minor_upgrade_is_asked_once() {
        let d = want(SPEC);
        let mut o = matching(&d);
        group(&mut o).engine_version = Some("7.0.7".into());
        let m = modification(run(&d, &o));
        assert_eq!(m.engine_version.as_deref(), Some("7.1"));
        assert_eq!(m.parameter_group, None, "redis7 serves 7.0 and 7.1 alike");
        group(&mut o).pending.engine_version = Some("7.1.0".into());
        let Plan::InSync { pending } = run(&d, &o) else { panic!("in sync") };
        assert_eq!(pending["version"], "7.1.0");
    }

    #[test]
    fn a_major_upgrade_creates_the_new_family_group_then_switches_to_it() {
        let v6 = want(&SPEC.replace("7.1", "6.2"));
        let v7 = want(SPEC);
        assert_ne!(v6.parameter_group, v7.parameter_group);
        let mut o = matching(&v6);
        o.parameter_group = None;
        o.parameters.clear();
        assert_eq!(
            run(&v7, &o),
            Plan::Write(vec![Step::CreateParameterGroup, Step::SetParameters(v7.parameters.clone())]),
            "the group of the new family first"
        );
        o.parameter_group = matching(&v7).parameter_group;
        o.parameters = v7.parameters.clone();
        let m = modification(run(&v7, &o));
        assert_eq!(m.engine_version.as_deref(), Some("7.1"));
        assert_eq!(m.parameter_group.as_deref(), Some(v7.parameter_group.as_str()), "in the same call");
    }

    #[test]
    fn a_downgrade_needs_a_person_and_writes_nothing() {
        let d = want(&SPEC.replace("7.1", "6.2"));
        let mut o = matching(&d);
        group(&mut o).engine_version = Some("7.1.0".into());
        o.parameters.clear();
        let Plan::Blocked { reason, message } = run(&d, &o) else { panic!("blocked") };
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("set spec.version to 7.1 or later"), "{message}");
    }

    #[test]
    fn snapshot_retention_security_groups_and_parameter_group_follow_the_spec() {
        let d = want(&spec_with("snapshotRetentionDays: 7"));
        let mut o = matching(&d);
        let g = group(&mut o);
        g.snapshot_retention_limit = 0;
        g.security_group_ids = vec!["sg-cache".into(), "sg-by-hand".into()];
        g.parameter_group = Some("default.redis7".into());
        let m = modification(run(&d, &o));
        assert_eq!(
            m,
            Modification {
                snapshot_retention_limit: Some(7),
                security_group_ids: Some(vec!["sg-cache".into()]),
                parameter_group: Some(d.parameter_group.clone()),
                apply_immediately: true,
                ..Modification::default()
            }
        );
    }

    #[test]
    fn settings_of_member_clusters_not_seen_are_not_compared() {
        let d = want(SPEC);
        let mut o = matching(&d);
        let g = group(&mut o);
        g.engine_version = None;
        g.parameter_group = None;
        g.security_group_ids.clear();
        g.subnet_group = None;
        assert_eq!(run(&d, &o), Plan::InSync { pending: BTreeMap::new() });
    }

    // --- Replicas ----------------------------------------------------------------------------------

    #[test]
    fn from_no_replica_they_are_added_first_and_failover_turned_on_afterwards() {
        let d = want(&spec_with("replicas: 2"));
        let o = with_replicas(&d, 0, false);
        assert_eq!(only_group_change(run(&d, &o)), Step::IncreaseReplicas(2));
        // A later reconcile: the replicas are there, failover and Multi-AZ are not yet.
        let o = with_replicas(&d, 2, false);
        let m = modification(run(&d, &o));
        assert_eq!(
            m,
            Modification {
                automatic_failover: Some(true),
                multi_az: Some(true),
                apply_immediately: true,
                ..Modification::default()
            }
        );
        assert_eq!(run(&d, &with_replicas(&d, 2, true)), Plan::InSync { pending: BTreeMap::new() });
    }

    #[test]
    fn to_no_replica_failover_goes_off_first_and_the_replicas_afterwards() {
        let d = want(SPEC);
        let o = with_replicas(&d, 2, true);
        let m = modification(run(&d, &o));
        assert_eq!(
            m,
            Modification {
                automatic_failover: Some(false),
                multi_az: Some(false),
                apply_immediately: true,
                ..Modification::default()
            }
        );
        // A later reconcile: failover is off, the replicas go.
        let o = with_replicas(&d, 2, false);
        assert_eq!(only_group_change(run(&d, &o)), Step::DecreaseReplicas(0));
        assert_eq!(run(&d, &with_replicas(&d, 0, false)), Plan::InSync { pending: BTreeMap::new() });
    }

    #[test]
    fn between_one_and_more_replicas_the_count_changes_directly() {
        let three = want(&spec_with("replicas: 3"));
        assert_eq!(only_group_change(run(&three, &with_replicas(&three, 1, true))), Step::IncreaseReplicas(3));
        let one = want(&spec_with("replicas: 1"));
        assert_eq!(only_group_change(run(&one, &with_replicas(&one, 3, true))), Step::DecreaseReplicas(1));
    }

    #[test]
    fn never_more_than_one_change_of_the_group_in_a_plan() {
        // A new node type and replicas from none: the modification now, the replicas next time,
        // failover the time after.
        let d = want(&spec_with("replicas: 1").replace("cache.t3.micro", "cache.t3.small"));
        let mut o = with_replicas(&d, 0, false);
        group(&mut o).node_type = "cache.t3.micro".into();
        let m = modification(run(&d, &o));
        assert_eq!((m.node_type.as_deref(), m.automatic_failover), (Some("cache.t3.small"), None));
        group(&mut o).node_type = "cache.t3.small".into();
        assert_eq!(only_group_change(run(&d, &o)), Step::IncreaseReplicas(1));
        // Fewer replicas and a longer snapshot retention: the modification first.
        let d = want(&spec_with("replicas: 1, snapshotRetentionDays: 3"));
        let mut o = with_replicas(&d, 2, true);
        group(&mut o).snapshot_retention_limit = 0;
        assert_eq!(modification(run(&d, &o)).snapshot_retention_limit, Some(3));
        group(&mut o).snapshot_retention_limit = 3;
        assert_eq!(only_group_change(run(&d, &o)), Step::DecreaseReplicas(1));
    }

    #[test]
    fn failover_being_switched_is_not_asked_again() {
        let d = want(&spec_with("replicas: 1"));
        let mut o = with_replicas(&d, 1, false);
        group(&mut o).multi_az = true;
        group(&mut o).pending.automatic_failover = Some(true);
        let Plan::InSync { pending } = run(&d, &o) else { panic!("in sync") };
        assert_eq!(pending["automaticFailover"], "true");
    }

    // --- What cannot change in place -----------------------------------------------------------------

    #[test]
    fn transit_encryption_cannot_change_in_place_either_way() {
        let on = want(SPEC);
        let off = want(&spec_with("transitEncryption: false"));
        for (d, o, asks) in [(&on, matching(&off), "back to false"), (&off, matching(&on), "back to true")] {
            let Plan::Blocked { reason, message } = run(d, &o) else { panic!("blocked") };
            assert_eq!(reason, "InvalidSpec");
            assert!(message.contains(asks), "{message}");
        }
        // Nothing is written first, not even the secret the new setting would need.
        let mut o = matching(&off);
        o.replication_group = o.replication_group.map(|g| ReplicationGroup { status: "modifying".into(), ..g });
        assert!(matches!(run(&on, &o), Plan::Blocked { reason: "InvalidSpec", .. }));
    }

    #[test]
    fn another_engine_needs_a_person() {
        let d = want(SPEC);
        let mut o = matching(&d);
        group(&mut o).engine = "valkey".into();
        let Plan::Blocked { reason, message } = run(&d, &o) else { panic!("blocked") };
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("runs valkey, not redis"), "{message}");
        group(&mut o).engine = String::new();
        assert!(matches!(run(&d, &o), Plan::InSync { .. }), "an engine not reported is not judged");
    }

    #[test]
    fn an_adopted_group_without_encryption_at_rest_needs_a_person() {
        let d = want(SPEC);
        let mut o = matching(&d);
        group(&mut o).at_rest_encryption = false;
        let Plan::Blocked { reason, message } = plan(&d, VPC, &subnets(), &admitted(), &o, &id(), true) else {
            panic!("blocked")
        };
        assert_eq!(reason, "InvalidSpec");
        assert!(message.contains("not encrypted at rest"), "{message}");
    }

    #[test]
    fn an_adopted_group_with_tls_but_no_auth_token_needs_a_person() {
        let d = want(SPEC);
        let mut o = matching(&d);
        group(&mut o).auth_token_enabled = false;
        assert!(matches!(run(&d, &o), Plan::Blocked { reason: "Conflict", .. }));
        group(&mut o).pending.auth_token = Some("SETTING".into());
        assert!(matches!(run(&d, &o), Plan::InSync { .. }), "a token being set is waited for");
    }

    #[test]
    fn pending_lists_what_elasticache_has_not_applied() {
        let d = want(SPEC);
        let mut g = matching(&d).replication_group.expect("group");
        assert!(pending(&g).is_empty());
        g.pending = PendingModifications {
            node_type: Some("cache.t3.small".into()),
            engine_version: Some("7.1.0".into()),
            automatic_failover: Some(false),
            transit_encryption: None,
            auth_token: Some("ROTATING".into()),
            primary_cluster_id: None,
        };
        assert_eq!(
            pending(&g),
            BTreeMap::from([
                ("authToken".to_string(), "ROTATING".to_string()),
                ("automaticFailover".to_string(), "false".to_string()),
                ("nodeType".to_string(), "cache.t3.small".to_string()),
                ("version".to_string(), "7.1.0".to_string()),
            ])
        );
    }
}
