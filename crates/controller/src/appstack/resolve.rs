//! What a stack's bindings point at, read from the reflector stores of its namespace (pure, no
//! AWS): the connection details of each bound Database, Cache and Bucket once it is Ready, or
//! which one the stack waits for, or which one does not exist.

use stackwright_api::appstack::{Binding, BucketAccess};
use stackwright_api::conditions::{self, Outcome, reason};
use stackwright_api::{Bucket, Cache, Database};

/// The connection details of one bound object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    Database {
        host: String,
        port: i32,
        name: String,
        user: String,
        /// The RDS-managed master user secret (JSON with `username` and `password`).
        password_secret_arn: String,
    },
    Cache {
        host: String,
        port: i32,
        tls: bool,
        /// The AUTH token's secret (its whole value is the token), with transit encryption.
        token_secret_arn: Option<String>,
    },
    Bucket {
        name: String,
        arn: String,
        access: BucketAccess,
    },
}

/// One binding with what it resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub binding: Binding,
    pub bound: Bound,
}

/// Every binding resolved, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bindings {
    Ready(Vec<Resolved>),
    /// Bound objects that exist but are not Ready yet (kind and name, e.g. `Database accunode-db`).
    Waiting(Vec<String>),
    /// Bound objects that do not exist in the namespace.
    Missing(Vec<String>),
}

impl Bindings {
    /// The verdict while not every binding is Ready: nothing is written to AWS that would need
    /// the bindings' values (the caller decides what may go ahead).
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Bindings::Ready(_) => None,
            Bindings::Waiting(names) => Some(Outcome::progressing(
                reason::WAITING_FOR_DEPENDENCY,
                format!("waiting for {} to become Ready (spec.bindings)", names.join(", ")),
            )),
            Bindings::Missing(names) => Some(Outcome::stalled(
                reason::DEPENDENCY_NOT_FOUND,
                format!(
                    "spec.bindings names {}, which does not exist in this namespace; create it or remove the binding",
                    names.join(", ")
                ),
            )),
        }
    }
}

fn is_ready(conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition]) -> bool {
    conditions::find(conditions, conditions::READY).is_some_and(|c| c.status == "True")
}

fn named<'a, K: kube::ResourceExt>(objects: &'a [K], name: &str) -> Option<&'a K> {
    objects.iter().find(|o| o.name_any() == name)
}

/// Resolves `bindings` against the objects of the stack's namespace.
pub fn resolve(bindings: &[Binding], databases: &[Database], caches: &[Cache], buckets: &[Bucket]) -> Bindings {
    let mut ready = Vec::new();
    let mut waiting = Vec::new();
    let mut missing = Vec::new();
    for b in bindings {
        let (label, found) = if let Some(name) = &b.database {
            let label = format!("Database {name}");
            let found = named(databases, name).map(|d| {
                let s = d.status.clone().unwrap_or_default();
                match (&s.endpoint, &s.master_user_secret_arn) {
                    (Some(e), Some(arn)) if is_ready(&s.common.conditions) => Some(Bound::Database {
                        host: e.address.clone(),
                        port: e.port,
                        name: d.spec.database_name.clone(),
                        user: d.spec.master_username.clone(),
                        password_secret_arn: arn.clone(),
                    }),
                    _ => None,
                }
            });
            (label, found)
        } else if let Some(name) = &b.cache {
            let label = format!("Cache {name}");
            let found = named(caches, name).map(|c| {
                let s = c.status.clone().unwrap_or_default();
                let tls = c.spec.transit_encryption;
                match &s.primary_endpoint {
                    Some(e) if is_ready(&s.common.conditions) && (!tls || s.auth_token_secret_arn.is_some()) => {
                        Some(Bound::Cache {
                            host: e.address.clone(),
                            port: e.port,
                            tls,
                            token_secret_arn: s.auth_token_secret_arn.clone().filter(|_| tls),
                        })
                    }
                    _ => None,
                }
            });
            (label, found)
        } else if let Some(name) = &b.bucket {
            let label = format!("Bucket {name}");
            let found = named(buckets, name).map(|k| {
                let s = k.status.clone().unwrap_or_default();
                match (&s.bucket_name, &s.arn) {
                    (Some(n), Some(arn)) if is_ready(&s.common.conditions) => {
                        Some(Bound::Bucket { name: n.clone(), arn: arn.clone(), access: b.bucket_access() })
                    }
                    _ => None,
                }
            });
            (label, found)
        } else {
            continue;
        };
        match found {
            None => missing.push(label),
            Some(None) => waiting.push(label),
            Some(Some(bound)) => ready.push(Resolved { binding: b.clone(), bound }),
        }
    }
    if !missing.is_empty() {
        Bindings::Missing(missing)
    } else if !waiting.is_empty() {
        Bindings::Waiting(waiting)
    } else {
        Bindings::Ready(ready)
    }
}

/// A fingerprint of what a bound object contributes to stacks (Ready, endpoint, secret ARNs),
/// so its watch wakes stacks only when that changes, not on its other status churn.
pub fn contribution_database(d: &Database) -> Option<String> {
    let s = d.status.as_ref()?;
    Some(format!("{}|{:?}|{:?}", is_ready(&s.common.conditions), s.endpoint, s.master_user_secret_arn))
}

pub fn contribution_cache(c: &Cache) -> Option<String> {
    let s = c.status.as_ref()?;
    Some(format!("{}|{:?}|{:?}", is_ready(&s.common.conditions), s.primary_endpoint, s.auth_token_secret_arn))
}

pub fn contribution_bucket(b: &Bucket) -> Option<String> {
    let s = b.status.as_ref()?;
    Some(format!("{}|{:?}|{:?}", is_ready(&s.common.conditions), s.bucket_name, s.arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(yaml: &str) -> Binding {
        serde_yaml::from_str(yaml).expect("binding")
    }

    fn database(ready: bool) -> Database {
        serde_yaml::from_str(&format!(
            r#"
apiVersion: stackwright.io/v1alpha1
kind: Database
metadata: {{name: accunode-db, namespace: prod}}
spec: {{engine: postgres, version: "15.7", instanceClass: db.t3.small, storage: {{sizeGiB: 20}}, databaseName: app, masterUsername: app_admin, network: {{appStack: accunode}}}}
status:
  endpoint: {{address: db.example, port: 5432}}
  masterUserSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"
  conditions: [{{type: Ready, status: "{}", reason: R, message: m, lastTransitionTime: "2026-01-01T00:00:00Z"}}]
"#,
            if ready { "True" } else { "False" }
        ))
        .expect("database")
    }

    #[test]
    fn a_ready_database_gives_its_endpoint_user_and_secret() {
        let b = binding("{database: accunode-db, envPrefix: DATABASE}");
        let got = resolve(std::slice::from_ref(&b), &[database(true)], &[], &[]);
        let Bindings::Ready(list) = got else { panic!("{got:?}") };
        assert_eq!(
            list[0].bound,
            Bound::Database {
                host: "db.example".into(),
                port: 5432,
                name: "app".into(),
                user: "app_admin".into(),
                password_secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf".into(),
            }
        );
    }

    #[test]
    fn a_database_not_ready_makes_the_stack_wait_and_a_missing_one_stalls_it() {
        let b = binding("{database: accunode-db, envPrefix: DATABASE}");
        let waiting = resolve(std::slice::from_ref(&b), &[database(false)], &[], &[]);
        assert_eq!(waiting, Bindings::Waiting(vec!["Database accunode-db".into()]));
        let Some(Outcome::Progressing { reason, message }) = waiting.outcome() else { panic!() };
        assert_eq!(reason, "WaitingForDependency");
        assert!(message.contains("Database accunode-db"), "{message}");

        let missing = resolve(&[b, binding("{bucket: docs, envPrefix: DOCS}")], &[database(false)], &[], &[]);
        assert_eq!(missing, Bindings::Missing(vec!["Bucket docs".into()]));
        assert!(matches!(missing.outcome(), Some(Outcome::Stalled { reason, .. }) if reason == "DependencyNotFound"));
    }
}
