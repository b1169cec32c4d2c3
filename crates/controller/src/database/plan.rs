//! What to do about a Database, given what it wants and what AWS has: pure, no I/O.
//!
//! The resources form two layers: the security group, the DB subnet group and the DB parameter
//! group (independent of each other), then the DB instance that uses all three. EC2 and RDS make
//! the groups synchronously, so a create writes both layers in one wave, in that order: the
//! instance follows its groups without another look at AWS, and a crash between the two finds
//! the groups by name and creates only the instance. Otherwise a reconcile writes at most one
//! wave; an instance AWS is busy with (creating, modifying, backing-up, ...) is waited for and
//! never modified a second time.

use std::collections::{BTreeMap, BTreeSet};

use stackwright_api::conditions::reason;
use stackwright_api::naming::ObjectIdentity;
use stackwright_cloud::ec2::{IngressRule, SecurityGroup};
use stackwright_cloud::rds::{DbInstance, DbModification, DbParameterGroup, DbSubnetGroup, major_version};

use super::desired::DesiredDatabase;
use crate::supporting::{ingress_changes, name_conflict_message, parameter_changes};

/// What AWS has of a Database's resources (each looked up by its deterministic name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub security_group: Option<SecurityGroup>,
    pub subnet_group: Option<DbSubnetGroup>,
    pub parameter_group: Option<DbParameterGroup>,
    /// The user-set values of the parameter group (when it exists).
    pub parameters: BTreeMap<String, String>,
    pub instance: Option<DbInstance>,
    /// The subnet and parameter groups were not read: the instance is busy, and nothing about
    /// them can change until it is available (only the security group's rules can).
    pub groups_skipped: bool,
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
    CreateInstance,
    ModifyInstance(Box<DbModification>),
    /// Put the ownership tags (and `spec.tags`) on a resource (adopted, or tags drifted).
    Tag {
        resource: Resource,
        arn_or_id: String,
    },
}

/// The resources of a Database, for messages, tags and the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    SecurityGroup,
    SubnetGroup,
    ParameterGroup,
    Instance,
}

impl Resource {
    pub fn kind(self) -> &'static str {
        match self {
            Resource::SecurityGroup => "ec2:SecurityGroup",
            Resource::SubnetGroup => "rds:DBSubnetGroup",
            Resource::ParameterGroup => "rds:DBParameterGroup",
            Resource::Instance => "rds:DBInstance",
        }
    }
}

/// The verdict on one Database: what [`plan`] decides.
pub type Plan = crate::supporting::Plan<Step>;

/// Decides what to do. `vpc_id`/`subnet_ids` are the resolved placement; `admitted` the task
/// security groups that may connect; `adopt` whether resources without our tags may be taken over.
pub fn plan(
    want: &DesiredDatabase,
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
    let mut supporting = Vec::new();
    let mut missing = false;
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
                    "DB subnet group {} is in {}, the database's network is now {vpc_id}: RDS cannot move a database to another VPC in place; create a new Database and restore a snapshot into it",
                    g.name, g.vpc_id
                ),
            };
        }
        Some(g) => {
            tag_if_drifted(&mut supporting, want, Resource::SubnetGroup, &g.arn, g.tags.as_ref());
            let have: BTreeSet<&String> = g.subnet_ids.iter().collect();
            let wanted: BTreeSet<&String> = subnet_ids.iter().collect();
            if have != wanted {
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
            tag_if_drifted(&mut supporting, want, Resource::ParameterGroup, &g.arn, g.tags.as_ref());
            supporting.extend(
                parameter_changes(&want.parameters, &observed.parameters)
                    .steps(Step::SetParameters, Step::ResetParameters),
            );
        }
    }

    let Some(instance) = &observed.instance else {
        // The instance needs all three: the wave makes what is missing of them first, then it.
        return Plan::Write(with(supporting, Step::CreateInstance));
    };
    if missing {
        // A supporting resource vanished under a running instance: recreate it first.
        return Plan::Write(supporting);
    }
    tag_if_drifted(&mut supporting, want, Resource::Instance, &instance.arn, Some(&instance.tags));
    if instance.status != "available" {
        // Never modify what AWS is still working on; what can change around it, does.
        return if supporting.is_empty() {
            Plan::Waiting { status: instance.status.clone() }
        } else {
            Plan::Write(supporting)
        };
    }
    let sg_id = observed.security_group.as_ref().map(|sg| sg.id.as_str()).unwrap_or_default();
    match modification(want, instance, sg_id) {
        Err(blocked) => blocked,
        Ok(m) if !m.is_empty() => Plan::Write(with(supporting, Step::ModifyInstance(Box::new(m)))),
        Ok(_) if !supporting.is_empty() => Plan::Write(supporting),
        Ok(_) => Plan::InSync { pending: pending(instance) },
    }
}

fn with(mut steps: Vec<Step>, last: Step) -> Vec<Step> {
    steps.push(last);
    steps
}

fn tag_if_drifted(
    steps: &mut Vec<Step>,
    want: &DesiredDatabase,
    resource: Resource,
    arn_or_id: &str,
    tags: Option<&BTreeMap<String, String>>,
) {
    // Tags not read (a bulk listing of the resync) were checked when the object last changed.
    let Some(tags) = tags else { return };
    if want.tags.iter().any(|(k, v)| tags.get(k) != Some(v)) {
        steps.push(Step::Tag { resource, arn_or_id: arn_or_id.to_string() });
    }
}

/// A resource under our name that is not ours (and no adoption): NameConflict, naming it.
fn conflicts(observed: &Observed, id: &ObjectIdentity, adopt: bool) -> Option<Plan> {
    if adopt {
        return None;
    }
    let found = [
        observed.security_group.as_ref().map(|g| (Resource::SecurityGroup, &g.name, Some(&g.tags))),
        observed.subnet_group.as_ref().map(|g| (Resource::SubnetGroup, &g.name, g.tags.as_ref())),
        observed.parameter_group.as_ref().map(|g| (Resource::ParameterGroup, &g.name, g.tags.as_ref())),
        observed.instance.as_ref().map(|i| (Resource::Instance, &i.identifier, Some(&i.tags))),
    ];
    // Tags not read (a bulk listing) cannot show a conflict; they were read when the group was
    // first found, since every object's first look reads each resource on its own.
    let (resource, name, _) = found.into_iter().flatten().find(|(_, _, tags)| tags.is_some_and(|t| !id.owns(t)))?;
    Some(Plan::Blocked { reason: reason::NAME_CONFLICT, message: name_conflict_message(resource.kind(), name) })
}

/// What to change on an available instance, or why it cannot be done.
fn modification(want: &DesiredDatabase, have: &DbInstance, sg_id: &str) -> Result<DbModification, Plan> {
    let w = &want.instance;
    let p = &have.pending;
    let mut m = DbModification { apply_immediately: want.apply_immediately, ..DbModification::default() };
    if have.engine != w.engine {
        return Err(Plan::Blocked {
            reason: reason::INVALID_SPEC,
            message: format!(
                "DB instance {} runs {}, not {}: RDS cannot change the engine",
                have.identifier, have.engine, w.engine
            ),
        });
    }
    if !have.storage_encrypted {
        return Err(Plan::Blocked {
            reason: reason::INVALID_SPEC,
            message: format!(
                "DB instance {} is not encrypted at rest, which Stackwright requires and RDS cannot switch on in place; restore an encrypted copy of a snapshot instead of adopting it",
                have.identifier
            ),
        });
    }
    match compare_versions(w.engine, &w.engine_version, &have.engine_version) {
        Version::Satisfied => {}
        Version::Downgrade => {
            return Err(Plan::Blocked {
                reason: reason::INVALID_SPEC,
                message: format!(
                    "spec.version {} is older than the running {}: RDS cannot downgrade; set spec.version to {} or later",
                    w.engine_version, have.engine_version, have.engine_version
                ),
            });
        }
        Version::Upgrade if p.engine_version.as_deref() == Some(w.engine_version.as_str()) => {}
        Version::Upgrade => {
            m.allow_major_version_upgrade =
                major_version(w.engine, &w.engine_version) != major_version(w.engine, &have.engine_version);
            m.engine_version = Some(w.engine_version.clone());
        }
    }
    if have.class != w.class && p.class.as_deref() != Some(w.class.as_str()) {
        m.class = Some(w.class.clone());
    }
    // Storage only grows; storage autoscaling (or a person) may have grown it beyond the spec.
    if have.allocated_storage_gib < w.allocated_storage_gib && p.allocated_storage_gib != Some(w.allocated_storage_gib)
    {
        m.allocated_storage_gib = Some(w.allocated_storage_gib);
    }
    match (w.max_allocated_storage_gib, have.max_allocated_storage_gib) {
        (Some(want_max), have_max) if have_max != Some(want_max) => m.max_allocated_storage_gib = Some(want_max),
        // RDS turns storage autoscaling off when the ceiling equals the allocated storage.
        (None, Some(_)) => m.max_allocated_storage_gib = Some(have.allocated_storage_gib),
        _ => {}
    }
    if have.storage_type != w.storage_type && p.storage_type.as_deref() != Some(w.storage_type) {
        m.storage_type = Some(w.storage_type.to_string());
    }
    if w.iops.is_some() && have.iops != w.iops && p.iops != w.iops {
        m.iops = w.iops;
    }
    if have.multi_az != w.multi_az && p.multi_az != Some(w.multi_az) {
        m.multi_az = Some(w.multi_az);
    }
    if have.backup_retention_days != w.backup_retention_days && p.backup_retention_days != Some(w.backup_retention_days)
    {
        m.backup_retention_days = Some(w.backup_retention_days);
    }
    if w.backup_window.is_some() && have.backup_window != w.backup_window {
        m.backup_window = w.backup_window.clone();
    }
    if w.maintenance_window.is_some() && have.maintenance_window != w.maintenance_window {
        m.maintenance_window = w.maintenance_window.clone();
    }
    if have.parameter_group.as_ref().map(|g| g.name.as_str()) != Some(want.parameter_group.as_str()) {
        m.parameter_group = Some(want.parameter_group.clone());
    }
    if have.subnet_group.as_deref() != Some(want.subnet_group.as_str()) {
        m.subnet_group = Some(want.subnet_group.clone());
    }
    if !sg_id.is_empty() && have.security_group_ids != [sg_id.to_string()] {
        m.security_group_ids = Some(vec![sg_id.to_string()]);
    }
    if have.performance_insights != w.performance_insights {
        m.performance_insights = Some(w.performance_insights);
    }
    let exported: BTreeSet<String> = have.log_exports.iter().cloned().collect();
    m.enable_log_exports = w.log_exports.difference(&exported).cloned().collect();
    m.disable_log_exports = exported.difference(&w.log_exports).cloned().collect();
    if have.deletion_protection != w.deletion_protection {
        m.deletion_protection = Some(w.deletion_protection);
    }
    if !have.copy_tags_to_snapshot {
        m.copy_tags_to_snapshot = Some(true);
    }
    Ok(m)
}

#[derive(Debug, PartialEq, Eq)]
enum Version {
    Satisfied,
    Upgrade,
    Downgrade,
}

/// Whether the running version satisfies the asked one. `16` asks for any 16.x; `15.7` is also
/// satisfied by a later 15 minor, which RDS installs by itself (automatic minor upgrades) and
/// cannot undo; an older running version is upgraded; a newer major than asked is a downgrade.
fn compare_versions(engine: &str, want: &str, have: &str) -> Version {
    let numbers = |v: &str| v.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    let (w, h) = (numbers(want), numbers(have));
    let prefix = h.len() >= w.len() && h[..w.len()] == w[..];
    if prefix {
        return Version::Satisfied;
    }
    let same_major = major_version(engine, want) == major_version(engine, have);
    match h.cmp(&w) {
        std::cmp::Ordering::Greater if same_major => Version::Satisfied,
        std::cmp::Ordering::Greater => Version::Downgrade,
        _ => Version::Upgrade,
    }
}

/// What RDS holds for later, as status reports it (`setting: value`).
pub fn pending(instance: &DbInstance) -> BTreeMap<String, String> {
    let p = &instance.pending;
    let mut out = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put("instanceClass", p.class.clone());
    put("storage.sizeGiB", p.allocated_storage_gib.map(|v| v.to_string()));
    put("multiAZ", p.multi_az.map(|v| v.to_string()));
    put("version", p.engine_version.clone());
    put("backup.retentionDays", p.backup_retention_days.map(|v| v.to_string()));
    put("storage.type", p.storage_type.clone());
    put("storage.iops", p.iops.map(|v| v.to_string()));
    out
}

#[cfg(test)]
mod tests {
    use stackwright_api::database::DatabaseSpec;
    use stackwright_cloud::rds::{Endpoint, ParameterGroupMembership, PendingModifications};

    use super::super::desired::desired;
    use super::*;

    fn id() -> ObjectIdentity {
        ObjectIdentity {
            cluster_id: "dev".into(),
            kind: "Database".into(),
            namespace: "acc".into(),
            name: "db".into(),
            uid: "u-1".into(),
        }
    }

    fn want(yaml: &str) -> DesiredDatabase {
        let spec: DatabaseSpec = serde_yaml::from_str(yaml).expect("valid spec");
        desired(&spec, &id(), "us-east-1")
    }

    const SPEC: &str =
        "{version: '15.7', instanceClass: db.t3.small, parameters: {max_connections: '200'}, network: {appStack: web}}";
    const VPC: &str = "vpc-1";

    fn subnets() -> Vec<String> {
        vec!["subnet-a".into(), "subnet-b".into()]
    }

    fn admitted() -> BTreeSet<String> {
        BTreeSet::from(["sg-task".to_string()])
    }

    /// AWS holding exactly what `d` asks for.
    fn matching(d: &DesiredDatabase) -> Observed {
        let i = &d.instance;
        Observed {
            groups_skipped: false,
            security_group: Some(SecurityGroup {
                id: "sg-db".into(),
                name: d.security_group.clone(),
                vpc_id: VPC.into(),
                tags: d.tags.clone(),
                ingress: vec![IngressRule::tcp_from_group(5432, "sg-task", Some("stackwright"))],
                ..SecurityGroup::default()
            }),
            subnet_group: Some(DbSubnetGroup {
                name: d.subnet_group.clone(),
                arn: "arn:sng".into(),
                vpc_id: VPC.into(),
                subnet_ids: subnets(),
                tags: Some(d.tags.clone()),
            }),
            parameter_group: Some(DbParameterGroup {
                name: d.parameter_group.clone(),
                arn: "arn:pg".into(),
                family: d.family.clone(),
                description: String::new(),
                tags: Some(d.tags.clone()),
            }),
            parameters: d.parameters.clone(),
            instance: Some(DbInstance {
                identifier: d.identifier.clone(),
                arn: "arn:db".into(),
                status: "available".into(),
                engine: "postgres".into(),
                engine_version: i.engine_version.clone(),
                class: i.class.clone(),
                allocated_storage_gib: i.allocated_storage_gib,
                max_allocated_storage_gib: i.max_allocated_storage_gib,
                storage_type: i.storage_type.into(),
                iops: i.iops,
                multi_az: i.multi_az,
                db_name: Some(i.db_name.clone()),
                master_username: i.master_username.clone(),
                backup_retention_days: i.backup_retention_days,
                parameter_group: Some(ParameterGroupMembership {
                    name: d.parameter_group.clone(),
                    apply_status: "in-sync".into(),
                }),
                subnet_group: Some(d.subnet_group.clone()),
                security_group_ids: vec!["sg-db".into()],
                storage_encrypted: true,
                copy_tags_to_snapshot: true,
                endpoint: Some(Endpoint { address: "db.example".into(), port: 5432 }),
                tags: d.tags.clone(),
                ..DbInstance::default()
            }),
        }
    }

    fn run(d: &DesiredDatabase, o: &Observed) -> Plan {
        plan(d, VPC, &subnets(), &admitted(), o, &id(), false)
    }

    #[test]
    fn nothing_exists_so_the_supporting_groups_come_first_then_the_instance() {
        let d = want(SPEC);
        let first = run(&d, &Observed::default());
        assert_eq!(
            first,
            Plan::Write(vec![
                Step::CreateSecurityGroup,
                Step::CreateSubnetGroup,
                Step::CreateParameterGroup,
                Step::SetParameters(d.parameters.clone()),
                Step::CreateInstance
            ])
        );
        // A crash after the groups: the next look creates only the instance.
        let mut o = matching(&d);
        o.instance = None;
        assert_eq!(run(&d, &o), Plan::Write(vec![Step::CreateInstance]));
        // A crash after the security group: the rest of the wave, and no second group.
        o.subnet_group = None;
        o.parameter_group = None;
        o.parameters.clear();
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![
                Step::CreateSubnetGroup,
                Step::CreateParameterGroup,
                Step::SetParameters(d.parameters.clone()),
                Step::CreateInstance
            ])
        );
    }

    #[test]
    fn in_sync_writes_nothing() {
        let d = want(SPEC);
        assert_eq!(run(&d, &matching(&d)), Plan::InSync { pending: BTreeMap::new() });
    }

    #[test]
    fn a_busy_instance_is_waited_for_and_never_modified_again() {
        let d = want(SPEC);
        for status in ["creating", "backing-up", "modifying", "rebooting", "upgrading"] {
            let mut o = matching(&d);
            let i = o.instance.as_mut().expect("instance");
            i.status = status.into();
            i.class = "db.t3.micro".into();
            assert_eq!(run(&d, &o), Plan::Waiting { status: status.into() }, "{status}");
        }
    }

    #[test]
    fn security_group_rules_follow_the_bindings_exactly() {
        let d = want(SPEC);
        let mut o = matching(&d);
        // A rule added by hand, and the bound stack's rule removed by hand.
        o.security_group.as_mut().expect("sg").ingress = vec![IngressRule {
            source: stackwright_cloud::ec2::Source::Cidr("0.0.0.0/0".into()),
            ..IngressRule::tcp_from_group(5432, "x", None)
        }];
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(matches!(&steps[0], Step::RevokeIngress(r) if r.len() == 1));
        let Step::AuthorizeIngress(rules) = &steps[1] else { panic!("{steps:?}") };
        assert_eq!(rules[0].admits(), IngressRule::tcp_from_group(5432, "sg-task", None));
        // No binding stack: no rule at all.
        let none = plan(&d, VPC, &subnets(), &BTreeSet::new(), &matching(&d), &id(), false);
        assert!(matches!(none, Plan::Write(ref s) if matches!(&s[0], Step::RevokeIngress(_))));
    }

    #[test]
    fn changes_apply_in_place_and_pending_ones_are_not_asked_again() {
        let d = want(
            "{version: '15.7', instanceClass: db.t3.medium, storage: {sizeGiB: 100}, multiAZ: true, backup: {retentionDays: 30}, network: {appStack: web}}",
        );
        // The instance as it was before the spec changed; everything else as the spec says.
        let mut o = matching(&d);
        o.instance =
            matching(&want("{version: '15.7', instanceClass: db.t3.small, network: {appStack: web}}")).instance;
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        let Some(Step::ModifyInstance(m)) = steps.last() else { panic!("{steps:?}") };
        assert_eq!(m.class.as_deref(), Some("db.t3.medium"));
        assert_eq!(m.allocated_storage_gib, Some(100));
        assert_eq!(m.multi_az, Some(true));
        assert_eq!(m.backup_retention_days, Some(30));
        assert!(m.apply_immediately);
        // Held for the maintenance window: nothing more to ask, reported as pending.
        let i = o.instance.as_mut().expect("i");
        i.pending = PendingModifications {
            class: Some("db.t3.medium".into()),
            allocated_storage_gib: Some(100),
            multi_az: Some(true),
            backup_retention_days: Some(30),
            ..PendingModifications::default()
        };
        let Plan::InSync { pending } = run(&d, &o) else { panic!("in sync") };
        assert_eq!(pending["instanceClass"], "db.t3.medium");
        assert_eq!(pending["storage.sizeGiB"], "100");
    }

    #[test]
    fn storage_grown_by_autoscaling_is_not_drift_and_autoscaling_can_be_turned_off() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.instance.as_mut().expect("i").allocated_storage_gib = 64;
        assert_eq!(run(&d, &o), Plan::InSync { pending: BTreeMap::new() });
        o.instance.as_mut().expect("i").max_allocated_storage_gib = Some(200);
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(matches!(steps.last(), Some(Step::ModifyInstance(m)) if m.max_allocated_storage_gib == Some(64)));
    }

    #[test]
    fn versions_upgrade_forward_never_back() {
        assert_eq!(compare_versions("postgres", "15.7", "15.7"), Version::Satisfied);
        assert_eq!(compare_versions("postgres", "16", "16.4"), Version::Satisfied);
        assert_eq!(compare_versions("postgres", "15.7", "15.8"), Version::Satisfied, "RDS's own minor upgrade");
        assert_eq!(compare_versions("postgres", "15.8", "15.7"), Version::Upgrade);
        assert_eq!(compare_versions("postgres", "16.4", "15.7"), Version::Upgrade);
        assert_eq!(compare_versions("postgres", "15.7", "16.1"), Version::Downgrade);
        let d = want(&SPEC.replace("15.7", "16.4"));
        let mut o = matching(&want(SPEC));
        o.parameter_group = matching(&d).parameter_group;
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        let Some(Step::ModifyInstance(m)) = steps.last() else { panic!("{steps:?}") };
        assert_eq!(m.engine_version.as_deref(), Some("16.4"));
        assert!(m.allow_major_version_upgrade);
        assert_eq!(m.parameter_group.as_deref(), Some(d.parameter_group.as_str()), "a group of the new family");
        let down = want(SPEC);
        let mut o = matching(&down);
        o.instance.as_mut().expect("i").engine_version = "16.1".into();
        assert!(matches!(run(&down, &o), Plan::Blocked { reason: "InvalidSpec", .. }));
    }

    #[test]
    fn someone_elses_resources_are_a_conflict_unless_adopted() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.subnet_group.as_mut().expect("sng").tags = Some(BTreeMap::new());
        let Plan::Blocked { reason, message } = run(&d, &o) else { panic!("blocked") };
        assert_eq!(reason, "NameConflict");
        assert!(message.contains("rds:DBSubnetGroup"), "{message}");
        let adopted = plan(&d, VPC, &subnets(), &admitted(), &o, &id(), true);
        assert_eq!(
            adopted,
            Plan::Write(vec![Step::Tag { resource: Resource::SubnetGroup, arn_or_id: "arn:sng".into() }])
        );
    }

    #[test]
    fn a_busy_instance_read_without_its_groups_is_waited_for_and_its_rules_still_follow() {
        let d = want(SPEC);
        let mut o = Observed { groups_skipped: true, subnet_group: None, parameter_group: None, ..matching(&d) };
        o.instance.as_mut().expect("i").status = "modifying".into();
        assert_eq!(run(&d, &o), Plan::Waiting { status: "modifying".into() });
        o.security_group.as_mut().expect("sg").ingress.clear();
        let Plan::Write(steps) = run(&d, &o) else { panic!("write") };
        assert!(matches!(steps.as_slice(), [Step::AuthorizeIngress(_)]), "{steps:?}");
    }

    #[test]
    fn groups_listed_without_tags_are_neither_conflicts_nor_retagged() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.subnet_group.as_mut().expect("sng").tags = None;
        o.parameter_group.as_mut().expect("pg").tags = None;
        assert!(matches!(run(&d, &o), Plan::InSync { .. }));
    }

    #[test]
    fn parameters_are_set_and_reset_to_match() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.parameters = BTreeMap::from([("max_connections".into(), "100".into()), ("work_mem".into(), "64MB".into())]);
        assert_eq!(
            run(&d, &o),
            Plan::Write(vec![
                Step::SetParameters(d.parameters.clone()),
                Step::ResetParameters(vec!["work_mem".into()])
            ])
        );
    }

    #[test]
    fn an_unencrypted_instance_or_another_vpc_needs_a_person() {
        let d = want(SPEC);
        let mut o = matching(&d);
        o.instance.as_mut().expect("i").storage_encrypted = false;
        assert!(matches!(run(&d, &o), Plan::Blocked { reason: "InvalidSpec", .. }));
        let moved = plan(&d, "vpc-2", &subnets(), &admitted(), &matching(&d), &id(), false);
        assert!(
            matches!(moved, Plan::Blocked { reason: "InvalidSpec", ref message } if message.contains("another VPC"))
        );
    }
}
