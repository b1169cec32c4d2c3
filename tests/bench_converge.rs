//! `make bench`: how the real controller (release build) does with many Buckets against the local
//! API server and the emulator:
//! - 1,000 Buckets: time until all are Ready, AWS calls and status writes per bucket to converge,
//!   AWS reads per bucket per resync, the AWS request rate over a steady-state window (peak and
//!   mean requests per second: flat means resyncs are spread, not bursts), the controller's peak
//!   memory, and how soon one new Bucket is Ready on an idle controller and during steady state;
//! - 100 Buckets with 30 % of AWS calls failing (throttling or 5xx, injected) beside 100 without:
//!   time until all Ready and total AWS calls.
//!
//! Under `cargo test` it runs a small version of each and checks only what must hold whatever the
//! machine: everything converges, a resync really ran, and it wrote nothing. Timings on a shared
//! machine are noisy: compare runs on the same machine, and prefer the call counts, which are exact.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};

use kube::Api;
use stackwright_api::Bucket;
use support::{Controller, Env, aws_calls, env, eventually, metric};

const SPEC: &str = "  versioning: true\n  tags: {team: docs}\n  lifecycle: [{id: archive, transitions: [{days: 90, storageClass: STANDARD_IA}], expirationDays: 2555}]\n  cors: [{allowedOrigins: [\"*\"], allowedMethods: [GET]}]\n";

fn ready(b: &Bucket) -> bool {
    b.status.as_ref().is_some_and(|s| {
        s.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
            && s.common.observed_generation == b.metadata.generation
    })
}

fn manifests(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: {prefix}{i}\nspec:\n{SPEC}---\n"
            )
        })
        .collect()
}

/// Applies `n` Buckets and waits until all are Ready; returns how long that took.
async fn converge(env: &Env, ns: &str, api: &Api<Bucket>, prefix: &str, n: usize) -> Duration {
    let start = Instant::now();
    // kubectl apply in batches: one giant stream is slow to send and slow to fail.
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let docs: String = chunk
            .iter()
            .map(|i| format!("apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: {prefix}{i}\nspec:\n{SPEC}---\n"))
            .collect();
        env.apply(ns, &docs);
    }
    eventually(&format!("{n} buckets are Ready"), Duration::from_secs(120 + n as u64), || async {
        let list = api.list(&Default::default()).await.ok()?;
        let count =
            list.items.iter().filter(|b| b.metadata.name.as_deref().is_some_and(|m| m.starts_with(prefix))).count();
        (count == n
            && list
                .items
                .iter()
                .filter(|b| b.metadata.name.as_deref().is_some_and(|m| m.starts_with(prefix)))
                .all(ready))
        .then_some(())
    })
    .await;
    start.elapsed()
}

/// How long one new Bucket takes to become Ready.
async fn latency(env: &Env, ns: &str, api: &Api<Bucket>, name: &str) -> Duration {
    let start = Instant::now();
    env.apply(ns, &manifests(name, 1));
    let full = format!("{name}0");
    eventually("the new bucket is Ready", Duration::from_secs(300), || async {
        api.get(&full).await.ok().filter(ready).map(drop)
    })
    .await;
    start.elapsed()
}

/// AWS call attempts that were throttled or failed on the server side.
fn failed_calls(m: &str) -> u64 {
    m.lines()
        .filter(|l| l.starts_with("stackwright_aws_calls_total{"))
        .filter(|l| l.contains(r#"outcome="throttled""#) || l.contains(r#"outcome="server_error""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn reads(m: &str) -> u64 {
    aws_calls(m, |op| !stackwright_cloud::calls::is_write(op))
}

async fn many(env: &'static Env, bench: bool) {
    let n: usize = if bench { 1000 } else { 3 };
    // One resync of every bucket (10 reads each) must fit well inside the interval at the
    // default S3 rate limit (100 requests/s): 1,000 buckets need 100 s of it, so 120 s.
    let resync = if bench { 120 } else { 3 };
    let ns = env.namespace("bench").await;
    let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
    let controller = env.controller_with_resync(&ns, "bench", &format!("{resync}s"));
    controller.metrics().await;
    let idle_latency = latency(env, &ns, &api, "probe-idle").await;

    let m0 = controller.metrics().await;
    let took = converge(env, &ns, &api, "b", n).await;
    let m1 = controller.metrics().await;
    let calls = aws_calls(&m1, |_| true) - aws_calls(&m0, |_| true);
    let writes =
        aws_calls(&m1, stackwright_cloud::calls::is_write) - aws_calls(&m0, stackwright_cloud::calls::is_write);
    let status_writes = metric(&m1, r#"stackwright_status_writes_total{kind="Bucket"}"#)
        - metric(&m0, r#"stackwright_status_writes_total{kind="Bucket"}"#);

    // Steady state: a window of more than one resync interval, sampled every second; a new
    // Bucket goes in halfway through.
    let window = Duration::from_secs(resync + resync / 4 + 2);
    let started = Instant::now();
    let mut per_second = Vec::new();
    let mut last = aws_calls(&m1, |_| true);
    let mut busy_latency = None;
    while started.elapsed() < window {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = aws_calls(&controller.metrics().await, |_| true);
        per_second.push(now - last);
        last = now;
        if busy_latency.is_none() && started.elapsed() >= window / 2 {
            busy_latency = Some(latency(env, &ns, &api, "probe-busy").await);
            // The seconds of the probe are not sampled: its own calls are not steady-state traffic.
            last = aws_calls(&controller.metrics().await, |_| true);
        }
    }
    let m2 = controller.metrics().await;
    // The only writes in the window are the probe's: CreateBucket, then tags, versioning,
    // encryption, public access block, CORS and lifecycle; its status: Pending, Creating, Ready.
    let window_writes =
        aws_calls(&m2, stackwright_cloud::calls::is_write) - aws_calls(&m1, stackwright_cloud::calls::is_write);
    let window_status = metric(&m2, r#"stackwright_status_writes_total{kind="Bucket"}"#)
        - metric(&m1, r#"stackwright_status_writes_total{kind="Bucket"}"#);
    let versioning_reads =
        aws_calls(&m2, |op| op == "GetBucketVersioning") - aws_calls(&m1, |op| op == "GetBucketVersioning");
    let sweeps = versioning_reads as f64 / (n + 1) as f64;
    // Proof that a resync ran at all before "no writes" means anything: every bucket read again.
    assert!(
        versioning_reads as usize >= n,
        "a full resync ran within the window ({versioning_reads} reads of {n} buckets)"
    );
    assert_eq!(window_writes, 7, "no AWS writes in steady state but the new bucket's");
    assert_eq!(window_status, 3, "no status writes in steady state but the new bucket's");
    if bench {
        let mean = per_second.iter().sum::<u64>() as f64 / per_second.len() as f64;
        let peak = per_second.iter().copied().max().unwrap_or(0);
        // One second is noisy (a reconcile reads ten settings at once); ten-second bins show
        // whether there are sweeps.
        let tens: Vec<u64> = per_second.chunks_exact(10).map(|c| c.iter().sum()).collect();
        let peak_ten = tens.iter().copied().max().unwrap_or(0) as f64 / 10.0;
        let waited = |m: &str| {
            m.lines()
                .filter(|l| l.starts_with("stackwright_aws_rate_limit_wait_seconds_total{"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        };
        println!("== {n} Buckets ==");
        println!(
            "time until all Ready:                 {:.1} s ({:.0} ms per bucket)",
            took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / n as f64
        );
        println!(
            "AWS calls to converge, per bucket:    {:.1} ({:.1} writes)",
            calls as f64 / n as f64,
            writes as f64 / n as f64
        );
        println!("status writes to converge, per bucket: {:.1}", status_writes as f64 / n as f64);
        println!(
            "steady state over {} s (resync {resync} s, {sweeps:.2} sweeps): {:.1} AWS reads per bucket per resync, no AWS or status writes but the new bucket's",
            window.as_secs(),
            (reads(&m2) - reads(&m1)) as f64 / (n + 1) as f64 / sweeps.max(1.0)
        );
        println!(
            "AWS requests per second in steady state: mean {mean:.1}; peak second {peak} (peak/mean {:.2}); peak 10 s {peak_ten:.1}/s (peak/mean {:.2})",
            peak as f64 / mean.max(0.1),
            peak_ten / mean.max(0.1)
        );
        println!(
            "time AWS calls waited for the client-side rate limit in the window: {:.1} s",
            waited(&m2) - waited(&m1)
        );
        println!(
            "a new Bucket Ready in:                {:.2} s on an idle controller, {:.2} s during steady state",
            idle_latency.as_secs_f64(),
            busy_latency.unwrap_or_default().as_secs_f64()
        );
        println!("controller peak RSS:                  {} MiB", controller.peak_rss_kib().unwrap_or(0) / 1024);
    }
}

/// `n` Buckets converged by a controller with `faults` injected; (time, total AWS calls).
async fn faulty(env: &'static Env, n: usize, faults: Option<&str>) -> (Duration, u64, Controller) {
    let ns = env.namespace(if faults.is_some() { "faults" } else { "clean" }).await;
    let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
    let mut args = vec!["--leader-elect=false"];
    if let Some(f) = faults {
        args.extend(["--inject-faults", f]);
    }
    let controller = env.controller_with(&ns, "bench", "1h", &args);
    controller.metrics().await;
    let took = converge(env, &ns, &api, "f", n).await;
    let calls = aws_calls(&controller.metrics().await, |_| true);
    (took, calls, controller)
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let env = env();
    many(env, bench).await;

    let n = if bench { 100 } else { 5 };
    let plan = "*:fail%=30/SlowDown|InternalError|ServiceUnavailable";
    let (clean_took, clean_calls, _a) = faulty(env, n, None).await;
    let (faulty_took, faulty_calls, b) = faulty(env, n, Some(plan)).await;
    let failed = failed_calls(&b.metrics().await);
    assert!(failed > 0, "faults were injected");
    if bench {
        println!("== {n} Buckets, 30 % of AWS calls failing (throttling or 5xx) ==");
        println!("without faults: all Ready in {:.1} s, {clean_calls} AWS calls", clean_took.as_secs_f64());
        println!(
            "with faults:    all Ready in {:.1} s, {faulty_calls} AWS calls ({failed} of them failed), {:.2}x the calls",
            faulty_took.as_secs_f64(),
            faulty_calls as f64 / clean_calls as f64
        );
    }
}
