//! Task definitions (pure): the container definition of each service — image, command, port,
//! environment with the bindings' variables, secrets, health check, logs — the hash of that
//! content, and the decision whether a service needs a new revision.
//!
//! A revision is registered only when the content hash of what the spec asks for is not the
//! hash of the revision the service runs; each revision carries its hash as a tag, and a revision
//! of the family that already carries the wanted hash (registered just before a crash) is reused
//! instead of registering another.

use sha2::{Digest, Sha256};
use stackwright_api::appstack::BucketAccess;
use stackwright_cloud::ecs::{AwsLogs, Container, ContainerHealthCheck, EfsVolume, MountPoint, NewTaskDefinition};

use super::desired::{CONTENT_HASH_TAG, DesiredService, DesiredStack};
use super::policies::ExecutionNeeds;
use super::resolve::{Bound, Resolved};

/// The roles the task definitions name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roles {
    pub execution: Option<String>,
    pub task: Option<String>,
}

/// Name and value (or `valueFrom`) pairs, in order.
pub type Variables = Vec<(String, String)>;

/// The environment variables and secrets of `service` from the stack's bindings, in binding order.
pub fn binding_variables(service: &str, bindings: &[Resolved]) -> (Variables, Variables) {
    let mut env = Vec::new();
    let mut secrets = Vec::new();
    for r in bindings.iter().filter(|r| r.binding.applies_to(service)) {
        let p = &r.binding.env_prefix;
        match &r.bound {
            Bound::Database { host, port, name, user, password_secret_arn } => {
                env.push((format!("{p}_HOST"), host.clone()));
                env.push((format!("{p}_PORT"), port.to_string()));
                env.push((format!("{p}_NAME"), name.clone()));
                env.push((format!("{p}_USER"), user.clone()));
                env.push((format!("{p}_URL"), format!("postgresql://{user}@{host}:{port}/{name}")));
                secrets.push((format!("{p}_PASSWORD"), format!("{password_secret_arn}:password::")));
            }
            Bound::Cache { host, port, tls, token_secret_arn } => {
                let scheme = if *tls { "rediss" } else { "redis" };
                env.push((format!("{p}_HOST"), host.clone()));
                env.push((format!("{p}_PORT"), port.to_string()));
                env.push((format!("{p}_URL"), format!("{scheme}://{host}:{port}")));
                if let Some(arn) = token_secret_arn {
                    secrets.push((format!("{p}_AUTH_TOKEN"), arn.clone()));
                }
            }
            Bound::Bucket { name, .. } => env.push((format!("{p}_BUCKET"), name.clone())),
        }
    }
    (env, secrets)
}

/// The `valueFrom` of a secretEnv entry: a Secrets Manager ARN (with `:<key>::` for a JSON key)
/// or an SSM parameter name or ARN, as ECS takes them.
fn value_from(s: &stackwright_api::appstack::SecretEnvVar) -> String {
    match (&s.secrets_manager_arn, &s.key, &s.ssm_parameter) {
        (Some(arn), Some(key), _) => format!("{arn}:{key}::"),
        (Some(arn), None, _) => arn.clone(),
        (None, _, Some(p)) => p.clone(),
        (None, _, None) => String::new(),
    }
}

/// The task definition of `service` (tags: the stack's plus the content hash), mounting
/// `volumes` (its EFS volumes, see `storage::volumes`).
pub fn render(
    want: &DesiredStack,
    service: &DesiredService,
    bindings: &[Resolved],
    roles: &Roles,
    volumes: &[EfsVolume],
) -> NewTaskDefinition {
    let s = &service.spec;
    let (bound_env, bound_secrets) = binding_variables(&s.name, bindings);
    let mut def = NewTaskDefinition {
        family: service.family.clone(),
        cpu: s.cpu,
        memory: s.memory,
        cpu_architecture: s.cpu_architecture.as_str().to_string(),
        execution_role_arn: roles.execution.clone(),
        task_role_arn: roles.task.clone(),
        container: Container {
            name: s.name.clone(),
            image: s.image.clone(),
            command: s.command.clone(),
            port: s.port,
            port_name: s.port.map(|_| s.name.clone()),
            environment: s.env.iter().map(|e| (e.name.clone(), e.value.clone())).chain(bound_env).collect(),
            secrets: s.secret_env.iter().map(|e| (e.name.clone(), value_from(e))).chain(bound_secrets).collect(),
            health_check: s.container_health_check.as_ref().map(|h| ContainerHealthCheck {
                command: h.command.clone(),
                interval_seconds: h.interval_seconds,
                timeout_seconds: h.timeout_seconds,
                retries: h.retries,
                start_period_seconds: h.start_period_seconds,
            }),
            logs: AwsLogs {
                group: service.log_group.clone(),
                region: want.region.clone(),
                stream_prefix: s.name.clone(),
            },
            essential: true,
            mounts: s
                .volumes
                .iter()
                .map(|v| MountPoint {
                    volume: v.name.clone(),
                    container_path: v.mount_path.clone(),
                    read_only: v.read_only,
                })
                .collect(),
        },
        volumes: volumes.to_vec(),
        tags: want.tags.clone(),
    };
    let hash = content_hash(&def);
    def.tags.insert(CONTENT_HASH_TAG.into(), hash);
    def
}

/// A hash of everything in a task definition but its tags: equal content, equal hash. Each field
/// is written with its name and length, so no two different contents write the same bytes.
pub fn content_hash(def: &NewTaskDefinition) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_be_bytes());
        h.update(value.as_bytes());
    };
    let c = &def.container;
    field("family", &def.family);
    field("cpu", &def.cpu.to_string());
    field("memory", &def.memory.to_string());
    field("arch", &def.cpu_architecture);
    field("execution", def.execution_role_arn.as_deref().unwrap_or(""));
    field("task", def.task_role_arn.as_deref().unwrap_or(""));
    field("name", &c.name);
    field("image", &c.image);
    for part in &c.command {
        field("command", part);
    }
    field("port", &c.port.map(|p| p.to_string()).unwrap_or_default());
    field("port-name", c.port_name.as_deref().unwrap_or(""));
    for (k, v) in &c.environment {
        field("env", k);
        field("value", v);
    }
    for (k, v) in &c.secrets {
        field("secret", k);
        field("from", v);
    }
    if let Some(hc) = &c.health_check {
        for part in &hc.command {
            field("health", part);
        }
        let numbers = [hc.interval_seconds, hc.timeout_seconds, hc.retries, hc.start_period_seconds];
        field("health-timing", &format!("{numbers:?}"));
    }
    field("log-group", &c.logs.group);
    field("log-region", &c.logs.region);
    field("log-prefix", &c.logs.stream_prefix);
    field("essential", &c.essential.to_string());
    for m in &c.mounts {
        field("mount", &m.volume);
        field("path", &m.container_path);
        field("read-only", &m.read_only.to_string());
    }
    for v in &def.volumes {
        field("volume", &v.name);
        field("file-system", &v.file_system_id);
        field("access-point", &v.access_point_id);
    }
    let digest = h.finalize();
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// What the execution role must allow for these task definitions.
pub fn execution_needs(
    defs: &[NewTaskDefinition],
    log_group_arns: &[String],
    region: &str,
    account: &str,
) -> ExecutionNeeds {
    let mut needs = ExecutionNeeds { log_groups: log_group_arns.iter().cloned().collect(), ..Default::default() };
    for d in defs {
        needs.images.insert(d.container.image.clone());
        for (_, from) in &d.container.secrets {
            if from.starts_with("arn:aws") && from.contains(":secretsmanager:") {
                // arn:aws:secretsmanager:<region>:<account>:secret:<name> (then :<key>:: maybe)
                let arn: Vec<&str> = from.splitn(8, ':').collect();
                needs.secrets.insert(arn.iter().take(7).copied().collect::<Vec<_>>().join(":"));
            } else if from.starts_with("arn:aws") {
                needs.parameters.insert(from.clone());
            } else {
                let name = from.trim_start_matches('/');
                needs.parameters.insert(format!("arn:aws:ssm:{region}:{account}:parameter/{name}"));
            }
        }
    }
    needs
}

/// The buckets the task role reaches.
pub fn bound_buckets(bindings: &[Resolved]) -> Vec<(String, BucketAccess)> {
    bindings
        .iter()
        .filter_map(|r| match &r.bound {
            Bound::Bucket { arn, access, .. } => Some((arn.clone(), *access)),
            _ => None,
        })
        .collect()
}

/// What to do about a service's task definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revision {
    /// The service runs the wanted content.
    Current,
    /// Roll the service to the wanted content: reuse this revision (it carries the wanted hash),
    /// or register one when None.
    Roll { reuse: Option<String> },
    /// The wanted content was rolled out and ECS rolled it back (circuit breaker): wait for a
    /// change of the spec rather than roll it again.
    RolledBack { message: String },
}

/// Decides whether `service` needs a new revision: `running_hash` is the hash of the revision
/// the PRIMARY deployment runs, `newest` the hash and ARN of the family's newest ACTIVE revision,
/// `rolled_out` the service's tag naming the hash last rolled out, `rollback` the message when
/// the PRIMARY deployment is the circuit breaker's rollback.
pub fn revision(
    wanted_hash: &str,
    running_hash: Option<&str>,
    newest: Option<(&str, &str)>,
    rolled_out: Option<&str>,
    rollback: Option<&str>,
) -> Revision {
    if running_hash == Some(wanted_hash) {
        return Revision::Current;
    }
    if let Some(message) = rollback
        && rolled_out == Some(wanted_hash)
    {
        return Revision::RolledBack { message: message.to_string() };
    }
    let reuse = newest.filter(|(hash, _)| *hash == wanted_hash).map(|(_, arn)| arn.to_string());
    Revision::Roll { reuse }
}

#[cfg(test)]
mod tests {
    use stackwright_api::appstack::Binding;

    use super::super::desired::desired;
    use super::super::desired::tests::{accunode, id};
    use super::*;

    fn bindings() -> Vec<Resolved> {
        let b = |yaml: &str| -> Binding { serde_yaml::from_str(yaml).expect("binding") };
        vec![
            Resolved {
                binding: b("{database: db, envPrefix: DATABASE}"),
                bound: Bound::Database {
                    host: "db.example".into(),
                    port: 5432,
                    name: "app".into(),
                    user: "app_admin".into(),
                    password_secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf".into(),
                },
            },
            Resolved {
                binding: b("{cache: redis, envPrefix: REDIS, services: [api]}"),
                bound: Bound::Cache {
                    host: "redis.example".into(),
                    port: 6379,
                    tls: true,
                    token_secret_arn: Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-1a2b3c".into()),
                },
            },
            Resolved {
                binding: b("{bucket: docs, envPrefix: DOCUMENTS}"),
                bound: Bound::Bucket {
                    name: "pw-docs".into(),
                    arn: "arn:aws:s3:::pw-docs".into(),
                    access: BucketAccess::ReadWrite,
                },
            },
        ]
    }

    fn roles() -> Roles {
        Roles {
            execution: Some("arn:aws:iam::123456789012:role/exec".into()),
            task: Some("arn:aws:iam::123456789012:role/task".into()),
        }
    }

    #[test]
    fn a_task_definition_carries_the_bindings_as_env_and_secrets_never_a_password() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let api = render(&want, want.service("api").expect("api"), &bindings(), &roles(), &[]);
        let env: Vec<&str> = api.container.environment.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            env,
            [
                "DATABASE_HOST",
                "DATABASE_PORT",
                "DATABASE_NAME",
                "DATABASE_USER",
                "DATABASE_URL",
                "REDIS_HOST",
                "REDIS_PORT",
                "REDIS_URL",
                "DOCUMENTS_BUCKET"
            ]
        );
        assert!(
            api.container
                .environment
                .contains(&("DATABASE_URL".into(), "postgresql://app_admin@db.example:5432/app".into()))
        );
        assert!(api.container.environment.contains(&("REDIS_URL".into(), "rediss://redis.example:6379".into())));
        assert_eq!(
            api.container.secrets,
            [
                (
                    "DATABASE_PASSWORD".to_string(),
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf:password::".to_string()
                ),
                (
                    "REDIS_AUTH_TOKEN".to_string(),
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-1a2b3c".to_string()
                ),
            ]
        );
        assert_eq!(api.container.port, Some(8000));
        assert_eq!(api.container.logs.group, "/stackwright/c1/prod/accunode/api");
        assert_eq!((api.cpu, api.memory, api.cpu_architecture.as_str()), (256, 512, "X86_64"));
        let worker = render(&want, want.service("worker").expect("worker"), &bindings(), &roles(), &[]);
        assert!(!worker.container.environment.iter().any(|(k, _)| k.starts_with("REDIS")), "the cache binds api only");
        assert_eq!(worker.container.command, ["python", "-m", "worker"]);
        assert_eq!(worker.container.port, None);
    }

    #[test]
    fn the_hash_changes_with_image_env_secrets_size_and_command_and_nothing_else() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let api = want.service("api").expect("api");
        let base = render(&want, api, &bindings(), &roles(), &[]);
        let hash = content_hash(&base);
        assert_eq!(base.tags[CONTENT_HASH_TAG], hash);
        assert_eq!(content_hash(&render(&want, api, &bindings(), &roles(), &[])), hash, "deterministic");
        let mut tagged = base.clone();
        tagged.tags.insert("team".into(), "x".into());
        assert_eq!(content_hash(&tagged), hash, "tags are not content");
        let changes: Vec<fn(&mut NewTaskDefinition)> = vec![
            |d| d.container.image.push_str("-2"),
            |d| d.container.environment.push(("A".into(), "b".into())),
            |d| d.container.secrets.push(("S".into(), "arn:aws:ssm:us-east-1:1:parameter/s".into())),
            |d| d.memory = 1024,
            |d| d.cpu = 512,
            |d| d.container.command.push("--x".into()),
        ];
        for change in changes {
            let mut d = base.clone();
            change(&mut d);
            assert_ne!(content_hash(&d), hash, "{d:?}");
        }
    }

    #[test]
    fn a_revision_is_registered_once_reused_after_a_crash_and_not_rolled_again_after_a_rollback() {
        assert_eq!(revision("h2", Some("h2"), None, Some("h2"), None), Revision::Current);
        assert_eq!(revision("h2", Some("h1"), Some(("h1", "arn:1")), Some("h1"), None), Revision::Roll { reuse: None });
        assert_eq!(
            revision("h2", Some("h1"), Some(("h2", "arn:2")), Some("h1"), None),
            Revision::Roll { reuse: Some("arn:2".into()) },
            "registered before a crash: reused"
        );
        assert_eq!(
            revision("h2", Some("h1"), Some(("h2", "arn:2")), Some("h2"), Some("rolling back to ecs-svc/1")),
            Revision::RolledBack { message: "rolling back to ecs-svc/1".into() }
        );
        assert_eq!(
            revision("h3", Some("h1"), Some(("h2", "arn:2")), Some("h2"), Some("rolling back to ecs-svc/1")),
            Revision::Roll { reuse: None },
            "a new spec after a rollback rolls again"
        );
    }

    #[test]
    fn the_execution_role_needs_the_secrets_without_their_json_keys() {
        let want = desired(&accunode(), &id(), "us-east-1");
        let api = render(&want, want.service("api").expect("api"), &bindings(), &roles(), &[]);
        let needs = execution_needs(&[api], &[], "us-east-1", "123456789012");
        assert_eq!(
            needs.secrets.into_iter().collect::<Vec<_>>(),
            [
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:tok-1a2b3c"
            ]
        );
    }
}
