//! The AppStacks as Databases and Caches see them: one watch keeps a reflector store (where each
//! is placed, who may connect) and wakes the dependents of a stack when something they depend on
//! changes — its bindings, its task security group, its network, its deletion — so security-group
//! rules and placement follow within seconds, not at the next resync.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use futures::channel::mpsc::UnboundedSender;
use futures::{StreamExt, TryStreamExt};
use kube::Api;
use kube::core::error_boundary::DeserializeGuard;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::watcher::{self, Event};
use stackwright_api::network::NetworkRef;
use stackwright_api::{AppStack, Cache, Database};

use crate::context::Context;
use crate::placement::{Bound, relevant_change};

/// Where wake-ups go: the reconcile queues of the dependent kinds.
#[derive(Debug)]
pub struct Wakers {
    pub databases: UnboundedSender<ObjectRef<DeserializeGuard<Database>>>,
    pub caches: UnboundedSender<ObjectRef<DeserializeGuard<Cache>>>,
}

/// Watches AppStacks into `writer` and wakes dependents on relevant changes, until the stream
/// ends. The first listing wakes nobody: every object is reconciled after a start anyway.
pub async fn run(
    api: Api<DeserializeGuard<AppStack>>,
    writer: reflector::store::Writer<DeserializeGuard<AppStack>>,
    ctx: Arc<Context>,
    wakers: Wakers,
) {
    let mut known: HashMap<(String, String), AppStack> = HashMap::new();
    let mut listed = false;
    let mut events = watcher::watcher(api, watcher::Config::default()).default_backoff().reflect(writer).boxed();
    loop {
        let event = match events.try_next().await {
            Ok(Some(event)) => event,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "AppStack watch");
                continue;
            }
        };
        match event {
            Event::Init => {}
            Event::InitDone => listed = true,
            Event::Apply(guard) | Event::InitApply(guard) => {
                let Ok(stack) = guard.0 else { continue };
                let before = known.insert(key(&stack), stack.clone());
                if listed && relevant_change(before.as_ref(), &stack) {
                    wake(&ctx, &wakers, before.as_ref(), Some(&stack));
                }
            }
            Event::Delete(guard) => {
                let Ok(stack) = guard.0 else { continue };
                let before = known.remove(&key(&stack));
                wake(&ctx, &wakers, Some(before.as_ref().unwrap_or(&stack)), None);
            }
        }
    }
}

fn key(stack: &AppStack) -> (String, String) {
    (stack.metadata.namespace.clone().unwrap_or_default(), stack.metadata.name.clone().unwrap_or_default())
}

fn wake(ctx: &Context, wakers: &Wakers, before: Option<&AppStack>, after: Option<&AppStack>) {
    let Some(stack) = after.or(before) else { return };
    let (namespace, name) = key(stack);
    let databases = ctx.stores.databases.get().map(|s| s.state()).unwrap_or_default();
    let placed: Vec<(String, NetworkRef)> = databases
        .iter()
        .filter_map(|g| g.0.as_ref().ok())
        .filter(|d| d.metadata.namespace.as_deref() == Some(namespace.as_str()))
        .map(|d| (d.metadata.name.clone().unwrap_or_default(), d.spec.network.clone()))
        .collect();
    for db in dependents(Bound::Database, &name, before, after, &placed) {
        tracing::debug!(stack = %name, database = %db, "AppStack changed: waking Database");
        let _ = wakers.databases.unbounded_send(ObjectRef::new(&db).within(&namespace));
    }
    let caches = ctx.stores.caches.get().map(|s| s.state()).unwrap_or_default();
    let placed: Vec<(String, NetworkRef)> = caches
        .iter()
        .filter_map(|g| g.0.as_ref().ok())
        .filter(|c| c.metadata.namespace.as_deref() == Some(namespace.as_str()))
        .map(|c| (c.metadata.name.clone().unwrap_or_default(), c.spec.network.clone()))
        .collect();
    for cache in dependents(Bound::Cache, &name, before, after, &placed) {
        tracing::debug!(stack = %name, cache = %cache, "AppStack changed: waking Cache");
        let _ = wakers.caches.unbounded_send(ObjectRef::new(&cache).within(&namespace));
    }
}

/// The objects of kind `bound` that a change of the stack `name` (from `before` to `after`)
/// concerns: those it binds, before or after, and those `placed` in it (`network.appStack`).
pub fn dependents(
    bound: Bound,
    name: &str,
    before: Option<&AppStack>,
    after: Option<&AppStack>,
    placed: &[(String, NetworkRef)],
) -> BTreeSet<String> {
    let bindings = [before, after].into_iter().flatten().flat_map(|s| s.spec.bindings.iter());
    let bound_names = bindings.filter_map(|b| match bound {
        Bound::Database => b.database.clone(),
        Bound::Cache => b.cache.clone(),
    });
    let placed_names =
        placed.iter().filter(|(_, network)| network.app_stack.as_deref() == Some(name)).map(|(n, _)| n.clone());
    bound_names.chain(placed_names).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(bindings: &str) -> AppStack {
        serde_yaml::from_str(&format!(
            r#"
apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {{name: web, namespace: pw}}
spec:
  network: {{vpcId: vpc-0123456789abcdef0, publicSubnetIds: [subnet-0000000a, subnet-0000000b], privateSubnetIds: [subnet-0000000c, subnet-0000000d]}}
  services: [{{name: api, image: "nginx:1", cpu: 256, memory: 512}}]
  bindings: {bindings}
"#
        ))
        .expect("valid AppStack")
    }

    fn network(yaml: &str) -> NetworkRef {
        serde_yaml::from_str(yaml).expect("network")
    }

    #[test]
    fn a_stack_wakes_what_it_binds_before_and_after_and_what_is_placed_in_it() {
        let before = stack("[{database: old-db, envPrefix: DB}]");
        let after = stack("[{database: new-db, envPrefix: DB}, {cache: redis, envPrefix: REDIS}]");
        let placed = vec![
            ("in-web".to_string(), network("{appStack: web}")),
            ("elsewhere".to_string(), network("{appStack: other}")),
            ("explicit".to_string(), network("{vpcId: vpc-1, subnetIds: [subnet-1, subnet-2]}")),
        ];
        let dbs = dependents(Bound::Database, "web", Some(&before), Some(&after), &placed);
        assert_eq!(dbs.into_iter().collect::<Vec<_>>(), ["in-web", "new-db", "old-db"]);
        let caches = dependents(Bound::Cache, "web", Some(&before), Some(&after), &[]);
        assert_eq!(caches.into_iter().collect::<Vec<_>>(), ["redis"]);
        let deleted = dependents(Bound::Database, "web", Some(&after), None, &[]);
        assert_eq!(deleted.into_iter().collect::<Vec<_>>(), ["new-db"]);
    }
}
