//! `make bench`, AppStack: how the real controller (release build) does with many AccuNode-shaped
//! stacks — two services (one exposed through the load balancer), CPU autoscaling, each stack
//! bound to its own Database and Cache — against the local API server and the emulator (ECS
//! rollouts, load balancers, RDS and ElastiCache take their lifecycle delays):
//! - time until every stack (and what it binds) is Ready;
//! - AWS calls per stack to converge (ECS, ELB, Application Auto Scaling, IAM, CloudWatch Logs;
//!   EC2 is shared with the Databases and Caches and counted apart);
//! - AWS reads per stack per resync in steady state, and that there are no writes;
//! - status writes per stack to converge;
//! - the controller's peak memory.
//!
//! Under `cargo test` it runs one stack and checks only what must hold whatever the machine:
//! everything converges, resyncs ran, and they wrote nothing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};

use support::{Env, aws_calls, env, eventually, metric};

/// Services whose calls are the stacks' own.
const STACK_SERVICES: [&str; 5] = ["ecs", "elasticloadbalancingv2", "applicationautoscaling", "iam", "cloudwatchlogs"];

fn stack(i: usize, vpc: &str, public: &[String], private: &[String]) -> String {
    format!(
        r#"apiVersion: stackwright.io/v1alpha1
kind: AppStack
metadata: {{name: web{i}}}
spec:
  network: {{vpcId: {vpc}, publicSubnetIds: [{public}], privateSubnetIds: [{private}]}}
  services:
  - name: api
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/accunode:v1
    port: 8000
    expose: {{paths: ["/*"], healthCheck: {{path: /health}}}}
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 70}}
  - name: worker
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/accunode:v1
    command: [python, -m, app.worker]
    autoscaling: {{minReplicas: 1, maxReplicas: 2, targetCPUPercent: 60, scaleOutCooldownSeconds: 180}}
  bindings:
  - {{database: db{i}, envPrefix: DATABASE}}
  - {{cache: redis{i}, envPrefix: REDIS}}
---
apiVersion: stackwright.io/v1alpha1
kind: Database
metadata: {{name: db{i}}}
spec: {{version: "15.7", instanceClass: db.t3.small, network: {{appStack: web{i}}}, deletionPolicy: Delete}}
---
apiVersion: stackwright.io/v1alpha1
kind: Cache
metadata: {{name: redis{i}}}
spec: {{version: "7.1", nodeType: cache.t3.micro, network: {{appStack: web{i}}}}}
"#,
        public = public.join(", "),
        private = private.join(", ")
    )
}

/// The lines of the calls metric of `services` (its `service` label, lower case, compared
/// without punctuation).
fn call_lines<'a>(m: &'a str, services: &'a [&'a str]) -> impl Iterator<Item = &'a str> {
    m.lines().filter(|l| l.starts_with("stackwright_aws_calls_total{")).filter(|l| {
        let label = l.split("service=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
        let label: String = label.to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
        services.iter().any(|s| label == *s)
    })
}

fn count(line: &str) -> u64 {
    line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) as u64
}

/// Calls by service.
fn calls_of(m: &str, services: &[&str]) -> u64 {
    call_lines(m, services).map(count).sum()
}

/// Calls per operation of the stacks' services between two scrapes, most first: where they go.
fn by_operation(before: &str, after: &str) -> Vec<(String, u64)> {
    let counts = |m: &str| {
        let mut out = std::collections::BTreeMap::<String, u64>::new();
        for l in call_lines(m, &STACK_SERVICES) {
            let op = l.split("operation=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
            *out.entry(op.to_string()).or_default() += count(l);
        }
        out
    };
    let (a, b) = (counts(before), counts(after));
    let mut out: Vec<(String, u64)> = b
        .into_iter()
        .map(|(op, n)| (op.clone(), n - a.get(&op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

fn all_ready(env: &Env, ns: &str, expected: usize) -> bool {
    let out = env.kubectl(&["get", "stackwright", "-n", ns, "-o", "json"], None);
    let Ok(list) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else { return false };
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let ready = items
        .iter()
        .filter(|o| {
            o["status"]["conditions"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
                && o["status"]["observedGeneration"] == o["metadata"]["generation"]
        })
        .count();
    ready == expected
}

#[tokio::main]
async fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let env = env();
    // BENCH_STACKS=<n> runs fewer (or more) stacks, to look at one part of the run.
    let n = if bench { std::env::var("BENCH_STACKS").ok().and_then(|v| v.parse().ok()).unwrap_or(100) } else { 1 };
    let resync = if bench { 60 } else { 4 };
    let ns = env.namespace("benchstacks").await;
    let ec2 = aws_sdk_ec2::Client::new(&env.sdk_config().await);
    let (vpc, public, private) = support::stack_network_in(&ec2, 95, support::REGION).await;
    let controller = env.controller_with_resync(&ns, "benchstacks", &format!("{resync}s"));
    let m0 = controller.metrics().await;
    let start = Instant::now();
    let docs: Vec<String> = (0..n).map(|i| stack(i, &vpc, &public, &private)).collect();
    for chunk in docs.chunks(25) {
        env.apply(&ns, &chunk.join("---\n"));
    }
    eventually(
        &format!("{n} stacks and what they bind are Ready"),
        Duration::from_secs(300 + 6 * n as u64),
        || async { all_ready(env, &ns, 3 * n).then_some(()) },
    )
    .await;
    let took = start.elapsed();
    let m1 = controller.metrics().await;
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    let status = |m: &str| metric(m, r#"stackwright_status_writes_total{kind="AppStack"}"#);

    // Steady state: every stack reads its cluster once per look, so DescribeClusters counts them.
    let looks = |m: &str| aws_calls(m, |op| op == "DescribeClusters");
    let before = looks(&m1);
    let m2 = eventually("two resyncs of every stack", Duration::from_secs(4 * resync + 120), || async {
        let m = controller.metrics().await;
        (looks(&m) >= before + 2 * n as u64).then_some(m)
    })
    .await;
    let resyncs = (looks(&m2) - before) as f64;
    assert!(resyncs >= 2.0 * n as f64, "every stack resynced twice");
    assert_eq!(writes(&m2), writes(&m1), "no AWS writes in steady state");
    assert_eq!(status(&m2), status(&m1), "no AppStack status writes in steady state");
    if bench {
        let per = |x: u64| x as f64 / n as f64;
        println!("== {n} AccuNode-shaped stacks, each bound to a Database and a Cache (emulator delays on) ==");
        println!("time until all Ready:                  {:.1} s", took.as_secs_f64());
        println!(
            "AWS calls per stack to converge:       {:.1} (ECS, ELB, Auto Scaling, IAM, Logs); EC2 {:.1} per stack, shared with the data kinds",
            per(calls_of(&m1, &STACK_SERVICES) - calls_of(&m0, &STACK_SERVICES)),
            per(calls_of(&m1, &["ec2"]) - calls_of(&m0, &["ec2"])),
        );
        println!("status writes per stack to converge:   {:.1}", per(status(&m1) - status(&m0)));
        println!(
            "steady state (resync {resync} s): {:.1} AWS reads per stack per resync (+ EC2 {:.1}), no AWS or status writes",
            (calls_of(&m2, &STACK_SERVICES) - calls_of(&m1, &STACK_SERVICES)) as f64 / resyncs,
            (calls_of(&m2, &["ec2"]) - calls_of(&m1, &["ec2"])) as f64 / resyncs
        );
        println!("controller peak RSS:                   {} MiB", controller.peak_rss_kib().unwrap_or(0) / 1024);
        let show = |calls: Vec<(String, u64)>, per: f64| {
            calls.iter().map(|(op, c)| format!("{op} {:.1}", *c as f64 / per)).collect::<Vec<_>>().join(", ")
        };
        println!("  to converge, per stack: {}", show(by_operation(&m0, &m1), n as f64));
        println!("  per stack per resync:   {}", show(by_operation(&m1, &m2), resyncs));
    }
}
