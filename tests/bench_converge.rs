//! `make bench`: how the real controller (release build) does with many Buckets against the local
//! API server and moto: time until all are Ready, AWS calls per bucket to converge and per resync
//! in steady state, status writes, and the controller's peak memory. Under `cargo test` it runs a
//! small smoke version and checks only that everything converges.
//!
//! Timings on a shared machine are noisy: compare runs on the same machine, and prefer the call
//! counts, which are exact.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};

use kube::Api;
use stackwright_api::Bucket;
use support::{aws_calls, env, eventually, metric};

const SPEC: &str = "  versioning: true\n  tags: {team: docs}\n  lifecycle: [{id: archive, transitions: [{days: 90, storageClass: STANDARD_IA}], expirationDays: 2555}]\n  cors: [{allowedOrigins: [\"*\"], allowedMethods: [GET]}]\n";

fn all_ready(list: &[Bucket]) -> bool {
    list.iter().all(|b| {
        b.status.as_ref().is_some_and(|s| {
            s.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                && s.common.observed_generation == b.metadata.generation
        })
    })
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let n: usize = if bench { 100 } else { 3 };
    let env = env();
    let ns = env.namespace("bench").await;
    let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
    // One sweep of every bucket must fit well inside the resync interval, or the controller is
    // saturated and new objects wait behind sweeps (seen with 100 buckets and 3 s against moto).
    let resync = if bench { 30 } else { 3 };
    let controller = env.controller_with_resync(&ns, "bench", &format!("{resync}s"));
    controller.metrics().await;

    let manifests: String = (0..n)
        .map(|i| {
            format!("apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: b{i}\nspec:\n{SPEC}---\n")
        })
        .collect();
    let start = Instant::now();
    env.apply(&ns, &manifests);
    eventually(&format!("{n} buckets are Ready"), Duration::from_secs(60 + 3 * n as u64), || async {
        let list = api.list(&Default::default()).await.ok()?;
        (list.items.len() == n && all_ready(&list.items)).then_some(())
    })
    .await;
    let converge = start.elapsed();
    let m = controller.metrics().await;
    let calls = aws_calls(&m, |_| true);
    let writes = aws_calls(&m, stackwright_cloud::calls::is_write);
    let status_writes = metric(&m, r#"stackwright_status_writes_total{kind="Bucket"}"#);

    // Steady state: measure calls over a window that holds at least one whole sweep.
    let window = Duration::from_secs(resync + resync / 3 + 1);
    tokio::time::sleep(window).await;
    let m2 = controller.metrics().await;
    let steady_calls = aws_calls(&m2, |_| true) - calls;
    let steady_writes = aws_calls(&m2, stackwright_cloud::calls::is_write) - writes;
    let steady_status = metric(&m2, r#"stackwright_status_writes_total{kind="Bucket"}"#) - status_writes;
    let sweeps = aws_calls(&m2, |op| op == "GetBucketVersioning")
        .saturating_sub(aws_calls(&m, |op| op == "GetBucketVersioning")) as f64
        / n as f64;
    assert_eq!(steady_writes, 0, "no AWS writes in steady state");
    assert_eq!(steady_status, 0, "no status writes in steady state");
    if bench {
        println!("buckets:                          {n}");
        println!(
            "time until all Ready:             {:.1} s ({:.0} ms per bucket)",
            converge.as_secs_f64(),
            converge.as_secs_f64() * 1000.0 / n as f64
        );
        println!(
            "AWS calls to converge, per bucket: {:.1} ({:.1} writes)",
            calls as f64 / n as f64,
            writes as f64 / n as f64
        );
        println!("status writes to converge, per bucket: {:.1}", status_writes as f64 / n as f64);
        println!(
            "steady state over {window:?} (resync {resync} s, ~{sweeps:.1} sweeps): {:.1} AWS reads per bucket per sweep, 0 writes, 0 status writes",
            steady_calls as f64 / n as f64 / sweeps.max(1.0)
        );
        println!("controller peak RSS:              {} MiB", controller.peak_rss_kib().unwrap_or(0) / 1024);
    } else {
        // Under `cargo test` this is a smoke check: everything converged, and stayed quiet.
        println!("smoke: 1 passed, 0 failed");
    }
}
