//! The shared runtime end to end, with the real binary, API server and emulator: an object that
//! cannot be read next to good ones, two replicas with one writer, and a failed read that must
//! not flip a Ready object. (The crash matrix is in crash.rs.)

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use kube::api::{Patch, PatchParams};
use stackwright_api::Bucket;
use support::{Controller, aws_calls, env, eventually, metric};

const WITHIN: Duration = Duration::from_secs(90);

fn manifest(name: &str, spec: &str) -> String {
    format!("apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn is_ready(b: &Bucket) -> bool {
    b.status.as_ref().is_some_and(|s| {
        s.common.observed_generation == b.metadata.generation
            && s.common.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
    })
}

async fn ready(api: &Api<Bucket>, name: &str) -> Bucket {
    eventually(&format!("{name} is Ready"), WITHIN, || async { api.get(name).await.ok().filter(is_ready) }).await
}

/// Every Ready condition status the object's status showed, recorded from now on.
async fn record_ready(api: &Api<Bucket>, name: &str) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (seen2, name) = (seen.clone(), name.to_string());
    support::watch_from_now(api.clone(), move |b: &Bucket| {
        if b.metadata.name.as_deref() == Some(name.as_str()) {
            for c in b.status.iter().flat_map(|s| s.common.conditions.iter()).filter(|c| c.type_ == "Ready") {
                seen2.lock().unwrap().push(format!("{}:{}", c.status, c.reason));
            }
        }
    })
    .await;
    seen
}

async fn leading(c: &Controller) -> bool {
    metric(&c.metrics().await, "stackwright_leader") == 1
}

#[tokio::test]
async fn an_object_that_cannot_be_read_is_reported_while_the_others_converge() {
    let env = env();
    let ns = env.namespace("unreadable").await;
    let client = env.client().await;
    let api: Api<Bucket> = Api::namespaced(client.clone(), &ns);
    // A looser served version of the Bucket CRD, as after a schema change: objects written through
    // it are stored as v1alpha1 without v1alpha1's validation, so v1alpha1 readers cannot read them.
    let mut crd = stackwright_api::crds().into_iter().find(|c| c.spec.names.kind == "Bucket").unwrap();
    let mut loose = crd.spec.versions[0].clone();
    loose.name = "v1alpha0".into();
    loose.storage = false;
    loose.additional_printer_columns = None;
    loose.schema = Some(
        serde_json::from_value(serde_json::json!({"openAPIV3Schema": {
            "type": "object", "x-kubernetes-preserve-unknown-fields": true
        }}))
        .unwrap(),
    );
    crd.spec.versions.push(loose);
    let out = env.kubectl(
        &["apply", "--server-side", "--force-conflicts", "--field-manager=runtime-tests", "-f", "-"],
        Some(&serde_yaml::to_string(&crd).unwrap()),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let bad = format!(
        "apiVersion: stackwright.io/v1alpha0\nkind: Bucket\nmetadata:\n  name: broken\nspec:\n  bucketName: {ns}-broken\n  versioning: \"yes please\"\n"
    );
    eventually("the loose version is served", WITHIN, || async {
        env.try_apply(&ns, &bad).status.success().then_some(())
    })
    .await;
    assert!(api.get("broken").await.is_err(), "the typed client cannot read it either");
    let controller = env.controller(&ns, "runtime");
    env.apply(&ns, &(manifest("good-a", "  versioning: true\n") + "\n---\n" + &manifest("good-b", "  tags: {a: b}\n")));
    ready(&api, "good-a").await;
    ready(&api, "good-b").await;

    // Reported: counted in the metrics and told in a Warning Event on the object.
    let m = eventually("the unreadable object is counted", WITHIN, || async {
        let m = controller.metrics().await;
        (metric(&m, r#"stackwright_invalid_objects{kind="Bucket"}"#) == 1).then_some(m)
    })
    .await;
    assert!(aws_calls(&m, |op| op == "CreateBucket") == 2, "only the good ones were created: {m}");
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(client, &ns);
    let event = eventually("a Warning Event names the problem", WITHIN, || async {
        events.list(&Default::default()).await.ok()?.items.into_iter().find(|e| {
            e.reason.as_deref() == Some("InvalidObject")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("broken")
        })
    })
    .await;
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert!(event.note.unwrap_or_default().contains("versioning"), "the note says what is wrong");

    // Fixed through v1alpha1, it converges like any other.
    let fix =
        serde_json::json!({"apiVersion": "stackwright.io/v1alpha1", "kind": "Bucket", "spec": {"versioning": true}});
    let raw: Api<kube::api::DynamicObject> =
        Api::namespaced_with(env.client().await, &ns, &kube::api::ApiResource::erase::<Bucket>(&()));
    raw.patch("broken", &PatchParams::default(), &Patch::Merge(&fix)).await.unwrap();
    ready(&api, "broken").await;
    let m = controller.metrics().await;
    assert_eq!(metric(&m, r#"stackwright_invalid_objects{kind="Bucket"}"#), 0, "{m}");
}

#[tokio::test]
async fn two_replicas_one_writer_and_the_standby_finishes_when_the_leader_dies() {
    let env = env();
    let ns = env.namespace("leader").await;
    let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
    let s3 = env.s3().await;
    let lease = ["--leader-elect=true", "--leader-lease-duration", "8s"];
    // The leader dies right after its first CreateBucket: mid-convergence, at a known point.
    let leader_args = [&lease[..], &["--inject-faults", "CreateBucket:crash-after,*:latency=200"]].concat();
    let mut leader = env.controller_with(&ns, "leader", "1h", &leader_args);
    eventually("the first replica leads", WITHIN, || async { leading(&leader).await.then_some(()) }).await;
    let standby = env.controller_with(&ns, "leader", "1h", &lease);
    eventually("the second replica is ready and stands by", WITHIN, || async {
        (standby.get("/readyz") == Some((200, "ok: standing by".to_string()))).then_some(())
    })
    .await;
    assert!(!leading(&standby).await);

    let names: Vec<String> = (0..6).map(|i| format!("b{i}")).collect();
    let all: String = names
        .iter()
        .map(|n| manifest(n, &format!("  bucketName: {ns}-{n}\n  versioning: true\n")) + "\n---\n")
        .collect();
    env.apply(&ns, &all);
    let status = leader.exited(WITHIN).await;
    assert!(status.is_some_and(|s| !s.success()), "the leader aborted after CreateBucket: {status:?}");
    // The standby has not written anything while it stood by.
    let before = standby.metrics().await;
    assert_eq!(aws_calls(&before, stackwright_cloud::calls::is_write), 0, "{before}");
    let ours = |listed: &aws_sdk_s3::operation::list_buckets::ListBucketsOutput| {
        listed.buckets().iter().filter(|b| b.name().is_some_and(|n| n.starts_with(&format!("{ns}-")))).count()
    };
    let created_by_leader = ours(&s3.list_buckets().send().await.unwrap());
    assert!(created_by_leader >= 1);

    for n in &names {
        ready(&api, n).await;
    }
    assert!(leading(&standby).await, "the standby took over");
    let m = standby.metrics().await;
    // No bucket was created twice: the new leader created exactly the ones the old one had not.
    assert_eq!(
        aws_calls(&m, |op| op == "CreateBucket") as usize,
        names.len() - created_by_leader,
        "CreateBucket calls of the new leader\n{m}"
    );
    assert_eq!(ours(&s3.list_buckets().send().await.unwrap()), names.len());
}

#[tokio::test]
async fn a_replica_stopped_with_sigterm_gives_the_lease_back() {
    let env = env();
    let ns = env.namespace("handover").await;
    let leases: Api<Lease> = Api::namespaced(env.client().await, &ns);
    let mut leader = env.controller_with(&ns, "handover", "1h", &["--leader-lease-duration", "30s"]);
    eventually("it leads", WITHIN, || async { leading(&leader).await.then_some(()) }).await;
    let held = leases.get("stackwright-controller").await.unwrap();
    let holder = held.spec.as_ref().and_then(|s| s.holder_identity.clone());
    assert!(holder.is_some(), "{held:?}");
    let status = leader.terminate(Duration::from_secs(60));
    assert!(status.is_some_and(|s| s.success()), "clean exit on SIGTERM: {status:?}");
    // Released at once, not left to expire 30 s later: nobody holds it now.
    let after = leases.get("stackwright-controller").await.unwrap();
    assert_eq!(after.spec.and_then(|s| s.holder_identity), None);
}

#[tokio::test]
async fn a_failed_read_does_not_flip_a_ready_object_until_it_repeats() {
    let env = env();
    for (case, failures, flips) in [("blip", 5, false), ("outage", 1000, true)] {
        let ns = env.namespace(case).await;
        let api: Api<Bucket> = Api::namespaced(env.client().await, &ns);
        // Every attempt of the SDK (5 per call) fails: one failed reconcile per 5 injected failures.
        let faults = format!("GetBucketVersioning:fail={failures}/InternalError");
        let controller = env.controller_with(&ns, "blip", "2s", &["--leader-elect=false", "--inject-faults", &faults]);
        env.apply(&ns, &manifest("docs", "  versioning: true\n"));
        ready(&api, "docs").await;
        let seen = record_ready(&api, "docs").await;
        let writes_before = metric(&controller.metrics().await, r#"stackwright_status_writes_total{kind="Bucket"}"#);
        // The first resync reads, and fails.
        eventually("a reconcile failed", WITHIN, || async {
            let m = controller.metrics().await;
            (metric(&m, r#"stackwright_reconcile_errors_total{kind="Bucket",category="transient"}"#) >= 1).then_some(())
        })
        .await;
        if flips {
            eventually("an outage is reported after repeated failures", WITHIN, || async {
                api.get("docs").await.ok().filter(|b| {
                    b.status
                        .iter()
                        .flat_map(|s| &s.common.conditions)
                        .any(|c| c.type_ == "Ready" && c.status == "False" && c.reason == "Retrying")
                })
            })
            .await;
            // The status is written by the third failed reconcile, before it counts as failed.
            let m = controller.metrics().await;
            assert!(
                metric(&m, r#"stackwright_reconcile_errors_total{kind="Bucket",category="transient"}"#) >= 2,
                "two failed reconciles kept the verdict: {m}"
            );
            let failed_reads = m
                .lines()
                .find_map(|l| {
                    l.strip_prefix(
                        r#"stackwright_aws_calls_total{service="S3",operation="GetBucketVersioning",outcome="server_error"} "#,
                    )
                })
                .map_or(0.0, |v| v.parse::<f64>().unwrap());
            assert!(failed_reads >= 15.0, "three reconciles' reads failed (5 attempts each): {m}");
        } else {
            // The next resync reads fine: the object stays Ready, with no status write between.
            eventually("a later reconcile succeeded", WITHIN, || async {
                let m = controller.metrics().await;
                (aws_calls(&m, |op| op == "GetBucketVersioning") > 5).then_some(())
            })
            .await;
            let seen = seen.lock().unwrap().clone();
            assert!(seen.iter().all(|s| s == "True:Ready"), "Ready never flipped: {seen:?}");
            let m = controller.metrics().await;
            assert_eq!(metric(&m, r#"stackwright_status_writes_total{kind="Bucket"}"#), writes_before, "{m}");
            assert!(is_ready(&api.get("docs").await.unwrap()));
        }
    }
}

#[test]
fn the_cli_ends_quietly_on_a_closed_pipe_and_speaks_in_sentences() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // `stackwright crds | head -1`: the reader goes away after one line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stackwright"))
        .arg("crds")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first, "---\n");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "no panic, no backtrace");

    // An error is one line that says what failed and why.
    let out = Command::new(env!("CARGO_BIN_EXE_stackwright"))
        .args(["run", "--metrics-addr", "127.0.0.1:0"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("stackwright: cannot find a Kubernetes cluster"), "{err}");
    assert!(!err.contains("Backtrace") && !err.contains("Error {"), "{err}");
}
