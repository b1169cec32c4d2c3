//! `make bench`, the data kinds: how the real controller (release build) does with many Databases
//! and Caches against the local API server and the emulator (whose RDS and ElastiCache take their
//! lifecycle delays: creating → backing-up → available):
//! - 200 Databases + 200 Caches: time until all are Ready, AWS calls per object to converge, AWS
//!   reads per object per resync in steady state (shared listings), writes in steady state, the
//!   controller's peak memory;
//! - 100 Databases with the client-side rate limits lifted, the setting the AWS Controllers for
//!   Kubernetes RDS controller was measured in (it has no client-side limit): time until all
//!   are Ready.
//!
//! `BENCH_DATA=lifted` runs only the second, and prints its AWS calls per Database by operation.
//!
//! Under `cargo test` it runs a small version and checks only what must hold whatever the machine:
//! everything converges, a resync really ran, and it wrote nothing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};

use kube::Api;
use stackwright_api::{Cache, Database};
use support::{Controller, Env, aws_calls, env, eventually, metric};

fn ready<K: k8s_openapi::serde::Serialize>(obj: &K) -> bool {
    let v = serde_json::to_value(obj).unwrap();
    let ready = v["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    ready && v["status"]["observedGeneration"] == v["metadata"]["generation"]
}

fn databases(n: usize, network: &str) -> Vec<String> {
    (0..n)
        .map(|i| format!("apiVersion: stackwright.io/v1alpha1\nkind: Database\nmetadata:\n  name: db{i}\nspec:\n  version: \"15.7\"\n  instanceClass: db.t3.micro\n  parameters: {{max_connections: \"100\"}}\n  deletionPolicy: Delete\n{network}"))
        .collect()
}

fn caches(n: usize, network: &str) -> Vec<String> {
    (0..n)
        .map(|i| format!("apiVersion: stackwright.io/v1alpha1\nkind: Cache\nmetadata:\n  name: cache{i}\nspec:\n  version: \"7.1\"\n  nodeType: cache.t3.micro\n{network}"))
        .collect()
}

/// Applies `docs` in batches and waits until every Database and Cache of `ns` is Ready.
async fn converge(env: &Env, ns: &str, docs: &[String], within: Duration) -> Duration {
    let start = Instant::now();
    for chunk in docs.chunks(100) {
        env.apply(ns, &chunk.join("---\n"));
    }
    let dbs: Api<Database> = Api::namespaced(env.client().await, ns);
    let caches: Api<Cache> = Api::namespaced(env.client().await, ns);
    eventually(&format!("{} objects are Ready", docs.len()), within, || async {
        let d = dbs.list(&Default::default()).await.ok()?;
        let c = caches.list(&Default::default()).await.ok()?;
        let ready = d.items.iter().filter(|o| ready(*o)).count() + c.items.iter().filter(|o| ready(*o)).count();
        (ready == docs.len()).then_some(())
    })
    .await;
    start.elapsed()
}

async fn network(env: &Env, octet: u8) -> String {
    let ec2 = aws_sdk_ec2::Client::new(&env.sdk_config().await);
    let (vpc, subnets) = support::network(&ec2, octet).await;
    format!("  network: {{vpcId: {vpc}, subnetIds: [{}]}}\n", subnets.join(", "))
}

fn calls_of(m: &str, service: &str) -> u64 {
    m.lines()
        .filter(|l| {
            l.starts_with("stackwright_aws_calls_total{")
                && l.to_lowercase().contains(&format!("service=\"{service}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn many(env: &'static Env, bench: bool) -> Controller {
    let n = if bench { 200 } else { 2 };
    let resync = if bench { 60 } else { 4 };
    let ns = env.namespace("benchdata").await;
    let network = network(env, 90).await;
    let controller = env.controller_with_resync(&ns, "benchdata", &format!("{resync}s"));
    controller.metrics().await;
    let m0 = controller.metrics().await;
    let mut docs = databases(n, &network);
    docs.extend(caches(n, &network));
    let took = converge(env, &ns, &docs, Duration::from_secs(180 + 3 * n as u64)).await;
    let m1 = controller.metrics().await;
    let objects = (2 * n) as f64;
    let all = |m: &str| aws_calls(m, |_| true);
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let db_calls = calls_of(&m1, "rds") - calls_of(&m0, "rds");
    let cache_calls = calls_of(&m1, "elasticache") - calls_of(&m0, "elasticache");

    // Steady state: more than one resync interval; every resync reads its parameter values once.
    let sweep_reads = |m: &str| aws_calls(m, |op| op == "DescribeDBParameters" || op == "DescribeCacheParameters");
    let before = sweep_reads(&m1);
    let m2 = eventually("two resyncs of every object", Duration::from_secs(4 * resync + 60), || async {
        let m = controller.metrics().await;
        (sweep_reads(&m) >= before + 2 * 2 * n as u64).then_some(m)
    })
    .await;
    let sweeps = (sweep_reads(&m2) - before) as f64 / objects;
    assert!(sweeps >= 2.0, "every object resynced twice ({sweeps:.2} sweeps)");
    assert_eq!(writes(&m2), writes(&m1), "no AWS writes in steady state");
    let status = |m: &str| {
        metric(m, r#"stackwright_status_writes_total{kind="Database"}"#)
            + metric(m, r#"stackwright_status_writes_total{kind="Cache"}"#)
    };
    assert_eq!(status(&m2), status(&m1), "no status writes in steady state");
    if bench {
        println!("== {n} Databases + {n} Caches (emulator lifecycle delays on) ==");
        println!("time until all Ready:                  {:.1} s", took.as_secs_f64());
        println!(
            "AWS calls to converge, per object:     {:.1} ({:.1} writes); RDS {:.1} per Database, ElastiCache {:.1} per Cache",
            (all(&m1) - all(&m0)) as f64 / objects,
            (writes(&m1) - writes(&m0)) as f64 / objects,
            db_calls as f64 / n as f64,
            cache_calls as f64 / n as f64
        );
        println!(
            "steady state (resync {resync} s, {sweeps:.2} sweeps): {:.2} AWS reads per object per resync ({:.2} per owned AWS resource), no AWS or status writes",
            (all(&m2) - all(&m1)) as f64 / objects / sweeps,
            // A Database owns 4 resources, a Cache 5 (with its token secret).
            (all(&m2) - all(&m1)) as f64 / (n as f64 * 9.0) / sweeps
        );
        println!("controller peak RSS:                   {} MiB", controller.peak_rss_kib().unwrap_or(0) / 1024);
    }
    controller
}

/// Calls per operation between two scrapes, most first.
fn by_operation(before: &str, after: &str) -> Vec<(String, u64)> {
    let ops: std::collections::BTreeSet<&str> = after
        .lines()
        .filter(|l| l.starts_with("stackwright_aws_calls_total{"))
        .filter_map(|l| l.split("operation=\"").nth(1)?.split('"').next())
        .collect();
    let mut out: Vec<(String, u64)> = ops
        .into_iter()
        .map(|op| (op.to_string(), aws_calls(after, |o| o == op) - aws_calls(before, |o| o == op)))
        .filter(|(_, n)| *n > 0)
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

/// `n` Databases with the client-side rate limits lifted: the time until all are Ready, and the
/// AWS calls they took by operation.
async fn unlimited(env: &'static Env, n: usize) -> (Duration, Vec<(String, u64)>) {
    let ns = env.namespace("benchfree").await;
    let network = network(env, 91).await;
    let lifted = "rds=1000:1000,ec2=1000:1000,elasticache=1000:1000,secretsmanager=1000:1000";
    let controller =
        env.controller_with(&ns, "benchfree", "10m", &["--leader-elect=false", "--aws-rate-limit", lifted]);
    let m0 = controller.metrics().await;
    let took = converge(env, &ns, &databases(n, &network), Duration::from_secs(180 + 3 * n as u64)).await;
    (took, by_operation(&m0, &controller.metrics().await))
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let env = env();
    if std::env::var("BENCH_DATA").as_deref() != Ok("lifted") {
        many(env, bench).await;
    }
    let n = if bench { 100 } else { 2 };
    let (took, calls) = unlimited(env, n).await;
    assert!(!calls.is_empty(), "the Databases were made with AWS calls");
    if bench {
        println!("== {n} Databases, client-side rate limits lifted ==");
        println!("time until all Ready:                  {:.1} s", took.as_secs_f64());
        let per: Vec<String> = calls.iter().map(|(op, c)| format!("{op} {:.1}", *c as f64 / n as f64)).collect();
        println!("AWS calls per Database by operation:   {}", per.join(", "));
    }
}
