//! What the crash matrices of Database and Cache share: a namespace whose object's every
//! condition is recorded, a network with three subnets and a task security group, the AppStack
//! `web` written by the test (spec and status; AppStack has no controller yet), controllers that
//! abort right after one AWS write, and the survivors that must converge.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::serde::Serialize;
use k8s_openapi::serde::de::DeserializeOwned;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::{Controller, Env, env, eventually};

pub const WITHIN: Duration = Duration::from_secs(120);

#[derive(Debug)]
pub struct Crash<K: kube::Resource> {
    pub env: &'static Env,
    pub ns: String,
    pub api: Api<K>,
    pub vpc: String,
    pub subnets: Vec<String>,
    cluster: String,
    seen: Arc<Mutex<Vec<String>>>,
}

/// The conditions of any Stackwright object, as `Type=Status:Reason`.
fn conditions_of<K: Serialize>(obj: &K) -> Vec<String> {
    let value = serde_json::to_value(obj).unwrap_or_default();
    let list = value["status"]["conditions"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|c| {
            format!(
                "{}={}:{}",
                c["type"].as_str().unwrap_or(""),
                c["status"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or("")
            )
        })
        .collect()
}

impl<K> Crash<K>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    /// A namespace for crash point `point`, a network (`10.<octet>.0.0/16`), and the stack `web`
    /// (a real AppStack) in two of its subnets, with `bindings`.
    pub async fn new(prefix: &str, point: &str, cluster: &str, octet: u8, bindings: &str) -> Self {
        let case = Self::bare(prefix, point, cluster, octet).await;
        case.stack(bindings, 2).await;
        case
    }

    /// The same without the stack `web`: a namespace and a network of three subnets in three zones.
    pub async fn bare(prefix: &str, point: &str, cluster: &str, octet: u8) -> Self {
        let env = env();
        let ns = env.namespace(&format!("{prefix}-{}", point.to_lowercase().replace('.', "-"))).await;
        let api: Api<K> = Api::namespaced(env.client().await, &ns);
        let seen = Arc::new(Mutex::new(Vec::new()));
        {
            let seen = seen.clone();
            super::watch_from_now(api.clone(), move |obj: &K| seen.lock().unwrap().extend(conditions_of(obj))).await;
        }
        let ec2 = aws_sdk_ec2::Client::new(&env.sdk_config().await);
        let (vpc, mut subnets) = super::network(&ec2, octet).await;
        let third = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{octet}.2.0/24"))
            .availability_zone(format!("{}c", super::REGION))
            .send()
            .await
            .unwrap();
        subnets.push(third.subnet.unwrap().subnet_id.unwrap());
        Crash { env, ns, api, vpc, subnets, cluster: cluster.into(), seen }
    }

    /// The AppStack `web` with `bindings`, its tasks (and so the data tier it reports) in the
    /// first `subnets` subnets.
    pub async fn stack(&self, bindings: &str, subnets: usize) {
        super::put_stack(self.env, &self.ns, "web", bindings, &self.vpc, &self.subnets[..subnets]);
    }

    /// The task security group the stack `web` reports (its controller must have run).
    pub async fn tasks(&self) -> String {
        super::stack_tasks(self.env, &self.ns, "web").await
    }

    pub fn apply(&self, name: &str, spec: &str) {
        let kind = K::kind(&());
        self.env.apply(
            &self.ns,
            &format!("apiVersion: stackwright.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{spec}"),
        );
    }

    pub async fn patch_spec(&self, name: &str, spec: serde_json::Value) {
        let patch = Patch::Merge(serde_json::json!({ "spec": spec }));
        self.api.patch(name, &PatchParams::default(), &patch).await.unwrap();
    }

    pub fn controller(&self, faults: Option<&str>) -> Controller {
        let mut args = vec!["--leader-elect=false"];
        if let Some(f) = faults {
            args.extend(["--inject-faults", f]);
        }
        // A far resync: whatever the survivor does, it does because the object needs it.
        self.env.controller_with(&self.ns, &self.cluster, "1h", &args)
    }

    /// Runs a controller that aborts right after `op` succeeds, and waits for the abort.
    pub async fn crash_after(&self, op: &str) {
        // Only the calls of this kind's reconciles: the AppStacks the case binds call some of the
        // same operations (security groups, tags).
        let mut doomed = self.controller(Some(&format!("{}/{op}:crash-after", K::kind(&()))));
        let status = doomed.exited(WITHIN).await;
        assert!(
            status.is_some_and(|s| !s.success()),
            "the controller should have aborted right after {op}: {status:?}\n{}",
            doomed.log_tail()
        );
    }

    /// Runs a controller without faults until `name` is Ready.
    pub async fn converge(&self, name: &str) -> K {
        let _first = self.controller(None);
        self.ready(name).await
    }

    pub async fn ready(&self, name: &str) -> K {
        eventually("Ready for the current generation", WITHIN, || async {
            let obj = self.api.get(name).await.ok()?;
            let generation = obj.meta().generation;
            let value = serde_json::to_value(&obj).ok()?;
            let observed = value["status"]["observedGeneration"].as_i64();
            let ready = conditions_of(&obj).iter().any(|c| c.starts_with("Ready=True"));
            (ready && observed == generation).then_some(obj)
        })
        .await
    }

    pub async fn gone(&self, name: &str) {
        eventually("the object is gone", WITHIN, || async {
            matches!(self.api.get_opt(name).await, Ok(None)).then_some(())
        })
        .await;
    }

    /// No status along the way may have stalled: a survivor must recognise what a crashed
    /// controller made as its own.
    pub fn assert_never_stalled(&self) {
        let seen = self.seen.lock().unwrap().clone();
        assert!(
            !seen.iter().any(|s| s.starts_with("Stalled=True")),
            "no status may stall on our own resources: {seen:?}"
        );
    }

    pub fn owner(&self, name: &str) -> String {
        format!("{}/{}/{name}", K::kind(&()), self.ns)
    }
}

/// Waits until `read` lists exactly `want` (what of the account is the case's, one line per
/// resource, sorted), and fails showing both if it does not within [`WITHIN`].
pub async fn eventually_exactly<F, Fut>(want: Vec<String>, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let found = read().await;
        if found == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "exactly one of each, ours:\n  found  {found:?}\n  wanted {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The test functions of a crash matrix: `crash_points! { path: test_name => "Operation", args...; }`.
#[macro_export]
macro_rules! crash_points {
    ($path:ident: $($test:ident => $op:literal $(, $arg:expr)*;)+) => {$(
        #[tokio::test]
        async fn $test() {
            $path($op $(, $arg)*).await;
        }
    )+};
}
