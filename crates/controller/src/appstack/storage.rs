//! The stack's persistent storage (pure): one encrypted EFS file system, a mount target in each
//! Availability Zone the tasks run in (in the task security group, which admits NFS from itself
//! only), and an access point per volume with its own root directory and POSIX identity.
//!
//! A service with volumes starts (or rolls to a revision that mounts them) once the file system,
//! the mount targets of its zones and its access points are all available. The file system
//! outlives the stack unless `volumeDeletionPolicy: Delete`: its data is what a careless delete
//! must not take.

use std::collections::BTreeMap;

use stackwright_api::appstack::VolumeDeletionPolicy;
use stackwright_api::conditions::reason;
use stackwright_cloud::ecs::EfsVolume;
use stackwright_cloud::efs::{AccessPoint, FileSystem, MountTarget, PosixUser};

use super::desired::{DesiredService, DesiredStack};
use super::plan::Step;

/// The NFS port the mount targets listen on.
pub const NFS_PORT: i32 = 2049;

/// What AWS has of the stack's file system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedStorage {
    pub file_system: FileSystem,
    pub mount_targets: Vec<MountTarget>,
    pub access_points: Vec<AccessPoint>,
    /// The Availability Zone of each task subnet (read while the stack wants volumes).
    pub subnet_zones: BTreeMap<String, String>,
}

impl ObservedStorage {
    pub fn access_point(&self, root_directory: &str) -> Option<&AccessPoint> {
        self.access_points.iter().find(|a| a.root_directory == root_directory && a.state != "deleting")
    }

    /// The zones that have a mount target not being deleted, and whether it is available.
    fn zones(&self) -> BTreeMap<&str, bool> {
        self.mount_targets
            .iter()
            .filter(|m| m.state != "deleting" && m.state != "deleted")
            .map(|m| (m.availability_zone.as_str(), m.state == "available"))
            .collect()
    }

    /// The zones the tasks run in (those of the task subnets), each with the first task subnet
    /// in it: where a mount target goes.
    fn task_zones<'a>(&'a self, task_subnets: &'a [String]) -> BTreeMap<&'a str, &'a str> {
        let mut zones = BTreeMap::new();
        for subnet in task_subnets {
            if let Some(zone) = self.subnet_zones.get(subnet) {
                zones.entry(zone.as_str()).or_insert(subnet.as_str());
            }
        }
        zones
    }
}

/// The writes that bring the storage to what the spec asks for, or why they cannot be made.
/// `task_group` is the task security group's id (mount targets wait for it).
pub fn plan_storage(
    want: &DesiredStack,
    observed: Option<&ObservedStorage>,
    task_group: Option<&str>,
) -> Result<Vec<Step>, (&'static str, String)> {
    let mut steps = Vec::new();
    if !want.storage.wanted() {
        return Ok(steps);
    }
    let Some(have) = observed else {
        steps.push(Step::CreateFileSystem);
        return Ok(steps);
    };
    if have.file_system.state != "available" {
        return Ok(steps);
    }
    if task_group.is_some() {
        let zones = have.zones();
        for (zone, subnet) in have.task_zones(&want.task_subnets) {
            if !zones.contains_key(zone) {
                steps.push(Step::CreateMountTarget(subnet.to_string()));
            }
        }
    }
    for v in &want.storage.volumes {
        match have.access_point(&v.root_directory) {
            None => steps.push(Step::CreateAccessPoint { service: v.service.clone(), volume: v.name.clone() }),
            Some(ap) if ap.posix_user != Some(PosixUser { uid: v.uid, gid: v.gid }) => {
                let (uid, gid) = ap.posix_user.as_ref().map_or((-1, -1), |u| (u.uid, u.gid));
                return Err((
                    reason::INVALID_SPEC,
                    format!(
                        "volume {} of service {} has access point {} with uid {uid} and gid {gid}; EFS cannot change an access point's user: set uid: {uid} and gid: {gid} back on the volume",
                        v.name, v.service, ap.id
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(steps)
}

/// The EFS volumes of service `s` for its task definition, once everything it mounts is
/// available (`Some(vec![])` for a service without volumes; None while it must wait).
pub fn volumes(want: &DesiredStack, s: &DesiredService, observed: Option<&ObservedStorage>) -> Option<Vec<EfsVolume>> {
    if s.spec.volumes.is_empty() {
        return Some(Vec::new());
    }
    let have = observed.filter(|h| h.file_system.state == "available")?;
    let zones = have.zones();
    let task_zones = have.task_zones(&want.task_subnets);
    let mounted = !task_zones.is_empty() && task_zones.keys().all(|z| zones.get(z) == Some(&true));
    if !mounted {
        return None;
    }
    s.spec
        .volumes
        .iter()
        .map(|v| {
            let wanted = want.storage.volume(&s.name, &v.name)?;
            let ap = have.access_point(&wanted.root_directory).filter(|a| a.state == "available")?;
            Some(EfsVolume {
                name: v.name.clone(),
                file_system_id: have.file_system.id.clone(),
                access_point_id: ap.id.clone(),
            })
        })
        .collect()
}

/// The storage's part of a stack's deletion, after its services are gone: the mount targets
/// first (they sit in the task security group and the subnets); with `Delete`, once they are
/// gone, the access points and the file system. None once nothing of it is left to delete (with
/// `Retain`, the file system and its access points stay).
pub fn teardown_storage(
    observed: Option<&ObservedStorage>,
    policy: VolumeDeletionPolicy,
    last_wave: bool,
) -> Option<(Vec<Step>, String)> {
    let have = observed?;
    let live: Vec<&MountTarget> = have.mount_targets.iter().filter(|m| m.state != "deleted").collect();
    if !live.is_empty() {
        let steps = live.iter().filter(|m| m.state != "deleting").map(|m| Step::DeleteMountTarget(m.id.clone()));
        return Some((
            steps.collect(),
            format!("deleting the mount targets of EFS file system {}", have.file_system.id),
        ));
    }
    if policy == VolumeDeletionPolicy::Retain || !last_wave {
        return None;
    }
    if have.file_system.state == "deleting" {
        return Some((vec![], format!("EFS file system {} is being deleted", have.file_system.id)));
    }
    let mut steps: Vec<Step> = have.access_points.iter().map(|a| Step::DeleteAccessPoint(a.id.clone())).collect();
    steps.push(Step::DeleteFileSystem(have.file_system.id.clone()));
    Some((steps, format!("deleting EFS file system {} (volumeDeletionPolicy: Delete)", have.file_system.id)))
}

#[cfg(test)]
mod tests {
    use stackwright_api::appstack::AppStackSpec;
    use stackwright_cloud::ec2::IngressRule;

    use super::super::desired::desired;
    use super::super::desired::tests::id;
    use super::super::plan::{Observed, Planned, Rendered, plan};
    use super::super::simulate::simulate;
    use super::super::taskdef::{Roles, render};
    use super::super::teardown::teardown;
    use super::*;

    fn chat(volume_policy: &str) -> AppStackSpec {
        serde_yaml::from_str(&format!(
            r#"
network: {{vpcId: vpc-0123456789abcdef0, publicSubnetIds: [subnet-0000000a, subnet-0000000b], privateSubnetIds: [subnet-0000000c, subnet-0000000d]}}
volumeDeletionPolicy: {volume_policy}
services:
- name: server
  image: node:20-slim
  port: 3000
- name: mongo
  image: mongo:7
  port: 27017
  volumes: [{{name: data, mountPath: /data/db, uid: 999, gid: 999}}]
- name: qdrant
  image: qdrant/qdrant:v1.16.0
  port: 6333
  volumes: [{{name: storage, mountPath: /qdrant/storage}}]
"#
        ))
        .expect("spec")
    }

    /// What the driver renders: each service whose volumes are all available.
    fn rendered(want: &DesiredStack, observed: &Observed) -> Rendered {
        let roles = Roles {
            execution: Some("arn:aws:iam::123456789012:role/exec".into()),
            task: Some("arn:aws:iam::123456789012:role/task".into()),
        };
        let defs = want
            .services
            .iter()
            .filter_map(|s| {
                let v = volumes(want, s, observed.storage.as_ref())?;
                Some((s.name.clone(), render(want, s, &[], &roles, &v)))
            })
            .collect();
        Rendered { task_definitions: Some(defs), execution_policy: Some("{}".into()), task_policy: None }
    }

    fn converge(want: &DesiredStack) -> (Observed, Vec<Planned>) {
        let mut observed = Observed::default();
        let mut waves = Vec::new();
        for _ in 0..12 {
            let r = rendered(want, &observed);
            let p = plan(want, &r, &observed, &[], &id(), false);
            assert_eq!(p.blocked, None);
            if p.steps.is_empty() {
                break;
            }
            simulate(want, &r, &mut observed, &p.steps);
            waves.push(p);
        }
        (observed, waves)
    }

    #[test]
    fn volumes_mount_one_encrypted_file_system_through_an_access_point_each_once_it_is_mounted_in_every_zone() {
        let want = desired(&chat("Retain"), &id(), "us-east-1");
        let (observed, waves) = converge(&want);
        let first = &waves[0];
        assert!(first.steps.contains(&Step::CreateFileSystem), "{:?}", first.steps);
        assert!(!first.steps.iter().any(|s| matches!(s, Step::CreateService { service, .. } if service != "server")));
        let st = observed.storage.as_ref().expect("a file system");
        assert!(st.file_system.encrypted);
        assert_eq!(
            st.mount_targets.iter().map(|m| m.subnet_id.as_str()).collect::<Vec<_>>(),
            ["subnet-0000000c", "subnet-0000000d"],
            "a mount target in each zone the tasks run in"
        );
        let roots: Vec<(&str, Option<&PosixUser>)> =
            st.access_points.iter().map(|a| (a.root_directory.as_str(), a.posix_user.as_ref())).collect();
        assert_eq!(
            roots,
            [
                ("/mongo/data", Some(&PosixUser { uid: 999, gid: 999 })),
                ("/qdrant/storage", Some(&PosixUser { uid: 1000, gid: 1000 }))
            ]
        );
        // The services run revisions that mount their access points.
        let r = rendered(&want, &observed);
        let defs = r.task_definitions.as_ref().expect("defs");
        let mongo = &defs["mongo"];
        assert_eq!(mongo.volumes.len(), 1);
        assert_eq!(mongo.volumes[0].file_system_id, st.file_system.id);
        assert_eq!(mongo.volumes[0].access_point_id, st.access_point("/mongo/data").expect("ap").id);
        assert_eq!(mongo.container.mounts[0].container_path, "/data/db");
        assert!(defs["server"].volumes.is_empty() && defs["server"].container.mounts.is_empty());
        assert!(observed.services.contains_key("mongo") && observed.services.contains_key("qdrant"));
        // NFS from the stack's own tasks only (the mount targets sit in the task group).
        let tasks = observed.task_group.as_ref().expect("task group");
        assert!(tasks.ingress.contains(&IngressRule::tcp_from_group(
            NFS_PORT,
            &tasks.id,
            Some("stackwright: EFS mount targets")
        )));
        // In sync: nothing more to write.
        assert!(plan(&want, &r, &observed, &[], &id(), false).steps.is_empty());
    }

    #[test]
    fn a_service_waits_while_its_file_system_or_a_mount_target_is_still_being_created() {
        let want = desired(&chat("Retain"), &id(), "us-east-1");
        let (mut observed, _) = converge(&want);
        let mongo = want.service("mongo").expect("mongo");
        let st = observed.storage.as_mut().expect("storage");
        st.mount_targets[1].state = "creating".into();
        assert_eq!(volumes(&want, mongo, Some(st)), None, "not mounted in every zone yet");
        st.mount_targets[1].state = "available".into();
        st.file_system.state = "creating".into();
        assert_eq!(volumes(&want, mongo, Some(st)), None);
        assert_eq!(volumes(&want, want.service("server").expect("server"), Some(st)), Some(vec![]));
    }

    #[test]
    fn an_access_point_s_user_cannot_change_and_says_how_to_go_back() {
        let want = desired(&chat("Retain"), &id(), "us-east-1");
        let (observed, _) = converge(&want);
        let mut spec = chat("Retain");
        spec.services[1].volumes[0].uid = 0;
        let changed = desired(&spec, &id(), "us-east-1");
        let p = plan(&changed, &rendered(&changed, &observed), &observed, &[], &id(), false);
        assert!(p.steps.is_empty());
        assert!(p.blocked.is_some_and(|(r, m)| r == "InvalidSpec" && m.contains("set uid: 999 and gid: 999 back")));
    }

    fn delete(want: &DesiredStack, mut observed: Observed) -> (Observed, Vec<String>) {
        let known = ["server", "mongo", "qdrant"].map(String::from);
        let mut messages = Vec::new();
        for _ in 0..10 {
            let Some((steps, message)) = teardown(&observed, &known, &id(), false, want.storage.deletion_policy) else {
                break;
            };
            messages.push(message);
            simulate(want, &Rendered::default(), &mut observed, &steps);
        }
        (observed, messages)
    }

    #[test]
    fn deleting_the_stack_keeps_the_file_system_and_its_access_points_unless_asked() {
        let keep = desired(&chat("Retain"), &id(), "us-east-1");
        let (observed, _) = converge(&keep);
        let (left, messages) = delete(&keep, observed);
        assert!(messages.iter().any(|m| m.contains("mount targets")), "{messages:?}");
        let st = left.storage.as_ref().expect("the file system is kept");
        assert!(st.mount_targets.is_empty(), "mount targets go: they hold the task group and the subnets");
        assert_eq!(st.access_points.len(), 2, "the access points stay with the data");
        assert!(left.cluster.is_none() && left.task_group.is_none() && left.services.is_empty());

        let gone = desired(&chat("Delete"), &id(), "us-east-1");
        let (observed, _) = converge(&gone);
        let (left, messages) = delete(&gone, observed);
        assert_eq!(left.storage, None, "{messages:?}");
        assert!(messages.last().is_some_and(|m| m.contains("volumeDeletionPolicy: Delete")), "{messages:?}");
    }

    #[test]
    fn a_stack_of_the_same_name_finds_the_file_system_its_predecessor_kept() {
        let first = desired(&chat("Retain"), &id(), "us-east-1");
        let again = desired(
            &chat("Retain"),
            &stackwright_api::naming::ObjectIdentity { uid: "another-incarnation".into(), ..id() },
            "us-east-1",
        );
        assert_eq!(first.storage.creation_token, again.storage.creation_token);
        assert!(first.storage.creation_token.len() <= 64);
        let other = desired(
            &chat("Retain"),
            &stackwright_api::naming::ObjectIdentity { name: "chat2".into(), ..id() },
            "us-east-1",
        );
        assert_ne!(first.storage.creation_token, other.storage.creation_token);
    }
}
