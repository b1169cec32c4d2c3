//! What AWS has of a stack, read in a handful of batched calls whatever its number of services:
//! one DescribeServices for up to ten services, one listing of the stack's log groups, one
//! DescribeTargetGroups, one DescribeScalableTargets, one DescribeScalingPolicies, and so on,
//! the independent ones at the same time.
//! What only changes when the stack's own writes change it (tags, attributes) is read when the
//! object changed, not on a resync, and once per generation of the spec ([`SettingsRead`]).
//!
//! Task definition revisions are immutable, so the content hash of a revision is remembered by
//! its ARN once read ([`RevisionHashes`]): a resync reads no task definition.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use stackwright_cloud::CloudError;
use stackwright_cloud::autoscaling::{AutoScaling, ScalableTarget, ScalingPolicy};
use stackwright_cloud::ec2::Ec2;
use stackwright_cloud::ecs::{Cluster, Ecs, NewTaskDefinition, Service};
use stackwright_cloud::efs::Efs;
use stackwright_cloud::elbv2::{Elbv2, Listener, LoadBalancer, Rule};
use stackwright_cloud::iam::Iam;
use stackwright_cloud::logs::{LogGroup, Logs};
use stackwright_cloud::servicediscovery::CloudMap;

use super::desired::{CONTENT_HASH_TAG, DesiredStack, ROLE_POLICY};
use super::plan::{Observed, ObservedNamespace, ObservedRole, ObservedTargetGroup, Revisions};
use super::storage::ObservedStorage;

/// The AWS clients a stack uses.
#[derive(Clone, Debug)]
pub struct Clients {
    pub ecs: Ecs,
    pub elbv2: Elbv2,
    pub autoscaling: AutoScaling,
    pub iam: Iam,
    pub logs: Logs,
    pub ec2: Ec2,
    pub cloudmap: CloudMap,
    pub efs: Efs,
}

/// Content hashes of task definition revisions by ARN (a revision never changes).
#[derive(Debug, Default)]
pub struct RevisionHashes(Mutex<HashMap<String, Option<String>>>);

impl RevisionHashes {
    pub fn get(&self, arn: &str) -> Option<Option<String>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(arn).cloned()
    }

    pub fn remember(&self, arn: &str, hash: Option<String>) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(arn.to_string(), hash);
    }
}

/// What the stack's waves have read of settings only the stack's own writes change (load
/// balancer and target group attributes, ELB and log group tags), by stack and generation. The
/// waves that build one generation read each once; a new generation reads everything again, and
/// a wave that wrote such a setting forgets what was read (the next one reads it back).
#[derive(Debug, Default)]
pub struct SettingsRead(Mutex<HashMap<String, Arc<ReadOnce>>>);

impl SettingsRead {
    /// What has been read for the stack `uid` at `generation` (empty for a new generation).
    pub fn of(&self, uid: &str, generation: i64) -> Arc<ReadOnce> {
        let mut stacks = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = stacks.entry(uid.to_string()).or_insert_with(|| Arc::new(ReadOnce::at(generation)));
        if entry.generation != generation {
            *entry = Arc::new(ReadOnce::at(generation));
        }
        entry.clone()
    }

    pub fn forget(&self, uid: &str) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(uid);
    }
}

/// Settings read for one generation of one stack, by `attributes:<arn>` / `tags:<arn>`.
#[derive(Debug, Default)]
pub struct ReadOnce {
    generation: i64,
    seen: Mutex<HashMap<String, BTreeMap<String, String>>>,
}

impl ReadOnce {
    fn at(generation: i64) -> Self {
        ReadOnce { generation, seen: Mutex::default() }
    }

    fn get(&self, key: &str) -> Option<BTreeMap<String, String>> {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }

    fn put(&self, key: String, value: BTreeMap<String, String>) {
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, value);
    }

    /// `read` unless it has been read for this generation already.
    pub(crate) async fn once(
        &self,
        key: String,
        read: impl Future<Output = Result<BTreeMap<String, String>, CloudError>>,
    ) -> Result<BTreeMap<String, String>, CloudError> {
        if let Some(known) = self.get(&key) {
            return Ok(known);
        }
        let value = read.await?;
        self.put(key, value.clone());
        Ok(value)
    }
}

/// What to look for in AWS besides what the spec names: what the stack had before.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// Service names: the spec's, then those the status still lists.
    pub services: Vec<String>,
    /// Target group names: the exposed services', then those the inventory lists (a service
    /// whose exposure or whole entry went away leaves its group to delete).
    pub target_groups: Vec<String>,
    /// Log groups the inventory lists (a renamed one is found and deleted through it).
    pub log_groups: Vec<String>,
    /// The Cloud Map namespace the inventory lists (Service Connect turned off, or a deletion).
    pub namespace: Option<String>,
    /// Whether the inventory lists a file system (volumes taken out of the spec, or a deletion).
    pub file_system: bool,
}

/// Reads the stack: what `want` names and what it had (`known`); `thorough` (a reconcile of a
/// new or changed stack, not a resync) also reads what a resync skips (tags, attributes), once
/// per generation. Reads that do not depend on each other go out together: a reconcile
/// waits for its longest chain (load balancer → listeners → rules, cluster → services → scaling),
/// not for the sum of its calls.
pub async fn observe(
    aws: &Clients,
    want: &DesiredStack,
    known: &Known,
    thorough: Option<&ReadOnce>,
) -> Result<Observed, CloudError> {
    let roles = async {
        tokio::try_join!(
            Box::pin(role(&aws.iam, want.execution_role.as_deref())),
            Box::pin(role(&aws.iam, want.task_role.as_deref()))
        )
    };
    let groups = async {
        tokio::try_join!(
            Box::pin(aws.ec2.security_group_by_name(&want.vpc_id, &want.lb_security_group)),
            Box::pin(aws.ec2.security_group_by_name(&want.vpc_id, &want.task_security_group)),
        )
    };
    // Each branch on the heap: the SDK's futures are large, and side by side they would not fit
    // on a worker thread's stack.
    let namespace = observe_namespace(&aws.cloudmap, want, known, thorough);
    let storage = observe_storage(aws, want, known);
    let (
        ((execution_role, task_role), (lb_group, task_group), namespace, storage),
        log_groups,
        target_groups,
        balancer,
        ecs,
    ) = tokio::try_join!(
        Box::pin(async { tokio::try_join!(Box::pin(roles), Box::pin(groups), Box::pin(namespace), Box::pin(storage)) }),
        Box::pin(observe_log_groups(aws, want, &known.log_groups, thorough)),
        Box::pin(observe_target_groups(aws, &known.target_groups, thorough)),
        Box::pin(observe_load_balancer(aws, want, thorough)),
        Box::pin(observe_services(aws, want, &known.services)),
    )?;
    let (load_balancer, lb_attributes, listeners, rules, stray_rules) = balancer;
    let (cluster, services, scalable_targets, policies) = ecs;
    let mut o = Observed {
        cluster,
        execution_role,
        task_role,
        lb_group,
        task_group,
        log_groups,
        load_balancer,
        lb_attributes,
        listeners,
        rules,
        stray_rules,
        target_groups,
        services,
        scalable_targets,
        policies,
        namespace,
        storage,
        ..Default::default()
    };
    if let Some(memo) = thorough {
        let arns =
            o.load_balancer.iter().map(|l| l.arn.clone()).chain(o.target_groups.values().map(|t| t.group.arn.clone()));
        let mut tags = BTreeMap::new();
        let mut unread = Vec::new();
        for arn in arns {
            match memo.get(&format!("tags:{arn}")) {
                Some(known) => drop(tags.insert(arn, known)),
                None => unread.push(arn),
            }
        }
        if !unread.is_empty() {
            for (arn, read) in aws.elbv2.tags(&unread).await? {
                memo.put(format!("tags:{arn}"), read.clone());
                tags.insert(arn, read);
            }
        }
        o.elb_tags = Some(tags);
    }
    Ok(o)
}

/// The stack's log groups: those under its prefix in one listing, those named in the spec or
/// listed in the status one by one; with their tags when `thorough`.
async fn observe_log_groups(
    aws: &Clients,
    want: &DesiredStack,
    listed: &[String],
    thorough: Option<&ReadOnce>,
) -> Result<BTreeMap<String, LogGroup>, CloudError> {
    let mut found: BTreeMap<String, LogGroup> =
        aws.logs.log_groups(&want.log_group_prefix).await?.into_iter().map(|g| (g.name.clone(), g)).collect();
    let named =
        want.services.iter().map(|s| &s.log_group).chain(listed).filter(|n| !n.starts_with(&want.log_group_prefix));
    let named: BTreeSet<&String> = named.collect();
    for g in futures::future::try_join_all(named.into_iter().map(|name| aws.logs.log_group(name)))
        .await?
        .into_iter()
        .flatten()
    {
        found.insert(g.name.clone(), g);
    }
    if let Some(memo) = thorough {
        let untagged = found.values_mut().filter(|g| g.tags.is_none()).map(|g| async move {
            let key = format!("tags:{}", g.arn);
            g.tags = match memo.get(&key) {
                Some(known) => Some(known),
                // None: deleted since the listing; nothing is decided on a group without tags.
                None => aws.logs.tags(&g.arn).await?.inspect(|tags| memo.put(key, tags.clone())),
            };
            Ok::<_, CloudError>(())
        });
        futures::future::try_join_all(untagged).await?;
    }
    Ok(found)
}

async fn observe_target_groups(
    aws: &Clients,
    names: &[String],
    thorough: Option<&ReadOnce>,
) -> Result<BTreeMap<String, ObservedTargetGroup>, CloudError> {
    let groups = aws.elbv2.target_groups(names).await?;
    let attributes = futures::future::try_join_all(groups.iter().map(|tg| async move {
        match thorough {
            Some(memo) => {
                memo.once(format!("attributes:{}", tg.arn), aws.elbv2.target_group_attributes(&tg.arn)).await.map(Some)
            }
            None => Ok(None),
        }
    }))
    .await?;
    Ok(groups
        .into_iter()
        .zip(attributes)
        .map(|(group, attributes)| (group.name.clone(), ObservedTargetGroup { group, attributes }))
        .collect())
}

type ObservedBalancer = (Option<LoadBalancer>, Option<BTreeMap<String, String>>, Vec<Listener>, Vec<Rule>, Vec<Rule>);

/// The load balancer, and — when the stack wants one — its attributes (when `thorough`), its
/// listeners and the rules of the listener that carries them.
async fn observe_load_balancer(
    aws: &Clients,
    want: &DesiredStack,
    thorough: Option<&ReadOnce>,
) -> Result<ObservedBalancer, CloudError> {
    let load_balancer = aws.elbv2.load_balancer(&want.lb_name).await?;
    let (Some(lb), Some(have)) = (&want.load_balancer, &load_balancer) else {
        return Ok((load_balancer, None, Vec::new(), Vec::new(), Vec::new()));
    };
    let attributes = async {
        match thorough {
            Some(memo) => memo
                .once(format!("attributes:{}", have.arn), aws.elbv2.load_balancer_attributes(&have.arn))
                .await
                .map(Some),
            None => Ok(None),
        }
    };
    let listeners_and_rules = async {
        let listeners = aws.elbv2.listeners(&have.arn).await?;
        let rules = match listeners.iter().find(|l| l.port == lb.rules_port()) {
            Some(l) => aws.elbv2.rules(&l.arn).await?,
            None => Vec::new(),
        };
        // The other listener the stack keeps (:80 beside HTTPS) redirects: a rule on it, left
        // from before the certificate, would forward plain HTTP.
        let others = listeners.iter().filter(|l| l.port != lb.rules_port() && lb.ports().contains(&l.port));
        let mut stray = Vec::new();
        for l in others {
            stray.extend(aws.elbv2.rules(&l.arn).await?);
        }
        Ok::<_, CloudError>((listeners, rules, stray))
    };
    let (attributes, (listeners, rules, stray)) =
        tokio::try_join!(Box::pin(attributes), Box::pin(listeners_and_rules))?;
    Ok((load_balancer, attributes, listeners, rules, stray))
}

type ObservedServices =
    (Option<Cluster>, BTreeMap<String, Service>, BTreeMap<String, ScalableTarget>, BTreeMap<String, ScalingPolicy>);

/// The cluster, its services (not INACTIVE), and their scalable targets and scaling policies.
async fn observe_services(
    aws: &Clients,
    want: &DesiredStack,
    known: &[String],
) -> Result<ObservedServices, CloudError> {
    let cluster = aws.ecs.cluster(&want.cluster).await?;
    let mut services = BTreeMap::new();
    if cluster.is_some() {
        let found = aws.ecs.services(&want.cluster, known).await?;
        services = found.into_iter().filter(|s| s.status != "INACTIVE").map(|s| (s.name.clone(), s)).collect();
    }
    let resource_ids: Vec<String> = services.keys().map(|name| format!("service/{}/{name}", want.cluster)).collect();
    let targets: BTreeMap<String, ScalableTarget> = aws
        .autoscaling
        .scalable_targets(&resource_ids)
        .await?
        .into_iter()
        .map(|t| (t.resource_id.clone(), t))
        .collect();
    let mut policies = BTreeMap::new();
    if !targets.is_empty() {
        let found = aws.autoscaling.scaling_policies(&want.policy_names()).await?;
        policies = found.into_iter().map(|p| (p.name.clone(), p)).collect();
    }
    Ok((cluster, services, targets, policies))
}

/// The stack's Cloud Map namespace, looked for when the stack wants one or had one; its tags
/// when `thorough`, once per generation.
async fn observe_namespace(
    cloudmap: &CloudMap,
    want: &DesiredStack,
    known: &Known,
    thorough: Option<&ReadOnce>,
) -> Result<Option<ObservedNamespace>, CloudError> {
    let Some(name) = want.namespace.as_ref().map(|n| &n.name).or(known.namespace.as_ref()) else {
        return Ok(None);
    };
    let Some(namespace) = cloudmap.http_namespace(name).await? else { return Ok(None) };
    let tags = match thorough {
        Some(memo) => {
            let read = async { Ok(cloudmap.tags(&namespace.arn).await?.unwrap_or_default()) };
            Some(memo.once(format!("tags:{}", namespace.arn), read).await?)
        }
        None => None,
    };
    Ok(Some(ObservedNamespace { namespace, tags }))
}

/// The stack's EFS file system (by its creation token), looked for when a service has volumes or
/// the inventory lists one; its mount targets and access points once it exists, and the zones
/// of the task subnets while volumes are wanted (where mount targets go).
async fn observe_storage(
    aws: &Clients,
    want: &DesiredStack,
    known: &Known,
) -> Result<Option<ObservedStorage>, CloudError> {
    if !want.storage.wanted() && !known.file_system {
        return Ok(None);
    }
    let Some(file_system) = aws.efs.file_system_by_token(&want.storage.creation_token).await? else { return Ok(None) };
    if file_system.state != "available" && file_system.state != "deleting" {
        return Ok(Some(ObservedStorage { file_system, ..Default::default() }));
    }
    let zones = async {
        if !want.storage.wanted() {
            return Ok(BTreeMap::new());
        }
        let subnets = aws.ec2.subnets(&want.task_subnets).await?;
        Ok(subnets.into_iter().map(|s| (s.id, s.availability_zone)).collect())
    };
    let (mount_targets, access_points, subnet_zones) = tokio::try_join!(
        Box::pin(aws.efs.mount_targets(&file_system.id)),
        Box::pin(aws.efs.access_points(&file_system.id)),
        Box::pin(zones),
    )?;
    Ok(Some(ObservedStorage { file_system, mount_targets, access_points, subnet_zones }))
}

async fn role(iam: &Iam, name: Option<&str>) -> Result<Option<ObservedRole>, CloudError> {
    let Some(name) = name else { return Ok(None) };
    let Some(role) = iam.role(name).await? else { return Ok(None) };
    let policy = iam.role_policy(name, ROLE_POLICY).await?;
    Ok(Some(ObservedRole { role, policy }))
}

/// Which content each service runs, and — for a service that does not run what `defs` want —
/// the newest revision of its family (a revision registered before a crash is reused).
pub async fn observe_revisions(
    aws: &Clients,
    observed: &mut Observed,
    defs: &BTreeMap<String, NewTaskDefinition>,
    hashes: &RevisionHashes,
) -> Result<(), CloudError> {
    for (name, def) in defs {
        let wanted = def.tags.get(CONTENT_HASH_TAG).cloned();
        let running = match observed.services.get(name) {
            Some(s) => hash_of(aws, hashes, &s.task_definition).await?,
            None => None,
        };
        let newest = if running.is_some() && running == wanted {
            None
        } else {
            match aws.ecs.task_definition_arns(&def.family).await?.into_iter().next() {
                Some(arn) => hash_of(aws, hashes, &arn).await?.map(|h| (h, arn)),
                None => None,
            }
        };
        observed.revisions.insert(name.clone(), Revisions { running, newest });
    }
    Ok(())
}

async fn hash_of(aws: &Clients, hashes: &RevisionHashes, arn: &str) -> Result<Option<String>, CloudError> {
    if arn.is_empty() {
        return Ok(None);
    }
    if let Some(known) = hashes.get(arn) {
        return Ok(known);
    }
    let hash = aws.ecs.task_definition(arn).await?.and_then(|d| d.tags.get(CONTENT_HASH_TAG).cloned());
    hashes.remember(arn, hash.clone());
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::SettingsRead;

    #[tokio::test]
    async fn a_setting_is_read_once_per_generation_and_again_after_a_write() {
        let reads = AtomicU32::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::Relaxed);
            Ok(BTreeMap::from([("idle_timeout.timeout_seconds".to_string(), "60".to_string())]))
        };
        let memo = SettingsRead::default();
        for _ in 0..3 {
            memo.of("uid", 1).once("attributes:lb".into(), read()).await.unwrap();
        }
        assert_eq!(reads.load(Ordering::Relaxed), 1, "the waves of one generation read it once");
        memo.of("uid", 2).once("attributes:lb".into(), read()).await.unwrap();
        assert_eq!(reads.load(Ordering::Relaxed), 2, "a new generation reads it again");
        memo.of("other", 2).once("attributes:lb".into(), read()).await.unwrap();
        assert_eq!(reads.load(Ordering::Relaxed), 3, "another stack reads its own");
        memo.forget("uid");
        memo.of("uid", 2).once("attributes:lb".into(), read()).await.unwrap();
        assert_eq!(reads.load(Ordering::Relaxed), 4, "a wave that wrote settings makes the next read them");
    }
}
