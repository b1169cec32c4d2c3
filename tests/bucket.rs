//! Bucket end to end: the real `stackwright` binary against a real kube-apiserver and moto.
//! Objects go in through the API server; status is read back through it, and S3 state is read
//! with a plain S3 client that shares no code with the controller.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::types::{BucketVersioningStatus, Tag, Tagging};
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};
use stackwright_api::Bucket;
use support::{Env, aws_calls, env, eventually, metric};

const CONVERGE: Duration = Duration::from_secs(60);

fn condition(b: &Bucket, type_: &str) -> Option<(String, String, String)> {
    b.status
        .as_ref()?
        .common
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Ready True for the current generation.
fn ready(b: &Bucket) -> bool {
    let s = b.status.as_ref();
    condition(b, "Ready").is_some_and(|(s, _, _)| s == "True")
        && s.and_then(|s| s.common.observed_generation) == b.metadata.generation
}

fn stalled_with(b: &Bucket, reason: &str) -> bool {
    condition(b, "Stalled").is_some_and(|(s, r, _)| s == "True" && r == reason)
}

async fn wait_bucket(api: &Api<Bucket>, name: &str, what: &str, pred: impl Fn(&Bucket) -> bool) -> Bucket {
    eventually(what, CONVERGE, || async { api.get_opt(name).await.ok().flatten().filter(|b| pred(b)) }).await
}

async fn s3_tags(s3: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, String> {
    match s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(o) => o.tag_set.into_iter().map(|t| (t.key, t.value)).collect(),
        Err(_) => BTreeMap::new(),
    }
}

async fn bucket_exists(s3: &aws_sdk_s3::Client, bucket: &str) -> bool {
    s3.head_bucket().bucket(bucket).send().await.is_ok()
}

fn manifest(name: &str, spec: &str) -> String {
    format!("apiVersion: stackwright.io/v1alpha1\nkind: Bucket\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

async fn setup(prefix: &str) -> (&'static Env, String, Api<Bucket>, aws_sdk_s3::Client) {
    let env = env();
    let ns = env.namespace(prefix).await;
    let api = Api::namespaced(env.client().await, &ns);
    (env, ns, api, env.s3().await)
}

#[tokio::test]
async fn converges_updates_corrects_drift_and_keeps_quiet_in_steady_state() {
    let (env, ns, api, s3) = setup("converge").await;
    // Record every status the controller writes, from before the object exists.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = {
        let seen = seen.clone();
        support::watch_from_now(api.clone(), move |b: &Bucket| {
            if let Some((ready, reason, _)) = condition(b, "Ready") {
                seen.lock().unwrap().push((ready, reason, condition(b, "Reconciling").map(|c| c.0)));
            }
        })
        .await
    };
    let controller = env.controller(&ns, "e2e");
    let name = format!("{ns}-documents");
    env.apply(
        &ns,
        &manifest(
            "documents",
            &format!(
                r#"  bucketName: {name}
  versioning: true
  tags: {{team: docs}}
  cors: [{{allowedOrigins: ["https://app.example.com"], allowedMethods: [GET, PUT], maxAgeSeconds: 3000}}]
  lifecycle:
  - id: archive
    transitions: [{{days: 90, storageClass: STANDARD_IA}}, {{days: 365, storageClass: GLACIER}}]
    expirationDays: 2555
"#
            ),
        ),
    );

    let b = wait_bucket(&api, "documents", "Ready", ready).await;
    recorder.abort();
    // kstatus: the very first status says Ready False and Reconciling True; the last, Ready True.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&("False".to_string(), "Pending".to_string(), Some("True".to_string()))), "{seen:?}");
    assert!(seen.iter().any(|s| s.1 == "Creating"), "creation is announced: {seen:?}");
    assert_eq!(seen.last().map(|s| s.0.as_str()), Some("True"), "{seen:?}");
    let status = b.status.clone().unwrap();
    assert_eq!(status.bucket_name.as_deref(), Some(name.as_str()));
    assert_eq!(status.arn.as_deref(), Some(format!("arn:aws:s3:::{name}").as_str()));
    assert_eq!(status.region.as_deref(), Some("us-east-1"));
    assert_eq!(status.common.estimated_monthly_cost_usd.as_deref(), Some("0.00"));
    assert_eq!(status.common.resources[0].kind, "s3:Bucket");
    assert!(condition(&b, "Reconciling").is_none() && condition(&b, "Stalled").is_none());

    // S3 holds exactly what the spec says.
    let v = s3.get_bucket_versioning().bucket(&name).send().await.unwrap();
    assert_eq!(v.status, Some(BucketVersioningStatus::Enabled));
    let tags = s3_tags(&s3, &name).await;
    assert_eq!(tags["team"], "docs");
    assert_eq!(tags["stackwright.io/cluster"], "e2e");
    assert_eq!(tags["stackwright.io/owner"], format!("Bucket/{ns}/documents"));
    assert_eq!(tags["stackwright.io/uid"], b.metadata.uid.clone().unwrap());
    let pab =
        s3.get_public_access_block().bucket(&name).send().await.unwrap().public_access_block_configuration.unwrap();
    assert_eq!(
        (pab.block_public_acls, pab.ignore_public_acls, pab.block_public_policy, pab.restrict_public_buckets),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s3.get_bucket_encryption().bucket(&name).send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration.unwrap().rules[0];
    assert_eq!(rule.apply_server_side_encryption_by_default.as_ref().unwrap().sse_algorithm.as_str(), "AES256");
    let cors = s3.get_bucket_cors().bucket(&name).send().await.unwrap().cors_rules.unwrap();
    assert_eq!(cors.len(), 1);
    assert_eq!(cors[0].allowed_methods, ["GET", "PUT"]);
    assert_eq!(cors[0].max_age_seconds, Some(3000));
    let lc = s3.get_bucket_lifecycle_configuration().bucket(&name).send().await.unwrap().rules.unwrap();
    assert_eq!(lc.len(), 1);
    assert_eq!(lc[0].id.as_deref(), Some("archive"));
    let classes: Vec<_> = lc[0]
        .transitions()
        .iter()
        .map(|t| (t.days.unwrap(), t.storage_class.clone().unwrap().as_str().to_string()))
        .collect();
    assert_eq!(classes, [(90, "STANDARD_IA".to_string()), (365, "GLACIER".to_string())]);
    assert_eq!(lc[0].expiration.as_ref().and_then(|e| e.days), Some(2555));

    // Steady state: across several resyncs (3 s here) nothing is written, to AWS or to status.
    let before = controller.metrics().await;
    let reads_before = aws_calls(&before, |op| op == "GetBucketVersioning");
    let after = eventually("two more resyncs have read the bucket", Duration::from_secs(30), || async {
        let m = controller.metrics().await;
        (aws_calls(&m, |op| op == "GetBucketVersioning") >= reads_before + 2).then_some(m)
    })
    .await;
    let writes = |m: &str| aws_calls(m, stackwright_cloud::calls::is_write);
    assert!(writes(&before) > 0, "the create was counted: {before}");
    assert_eq!(writes(&after), writes(&before), "AWS writes in steady state:\n{after}");
    let status_writes = r#"stackwright_status_writes_total{kind="Bucket"}"#;
    assert_eq!(metric(&after, status_writes), metric(&before, status_writes), "status writes in steady state");

    // Update every field; S3 follows, and status reports the new generation.
    let patch = serde_json::json!({"spec": {
        "versioning": false,
        "tags": {"team": "platform"},
        "cors": [],
        "lifecycle": [{"id": "uploads", "prefix": "uploads/", "expirationDays": 7}],
        "website": {"indexDocument": "index.html", "errorDocument": "error.html"},
        "publicAccessBlock": false,
    }});
    let updated = api.patch("documents", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let b = wait_bucket(&api, "documents", "Ready for the new generation", ready).await;
    assert_eq!(b.metadata.generation, updated.metadata.generation);
    let v = s3.get_bucket_versioning().bucket(&name).send().await.unwrap();
    assert_eq!(v.status, Some(BucketVersioningStatus::Suspended), "versioning off suspends");
    assert_eq!(s3_tags(&s3, &name).await["team"], "platform");
    assert!(s3.get_bucket_cors().bucket(&name).send().await.is_err(), "CORS removed");
    let lc = s3.get_bucket_lifecycle_configuration().bucket(&name).send().await.unwrap().rules.unwrap();
    assert_eq!(lc.len(), 1);
    assert_eq!(lc[0].id.as_deref(), Some("uploads"));
    assert_eq!(lc[0].expiration.as_ref().and_then(|e| e.days), Some(7));
    let site = s3.get_bucket_website().bucket(&name).send().await.unwrap();
    assert_eq!(site.index_document.unwrap().suffix, "index.html");
    assert_eq!(site.error_document.unwrap().key, "error.html");
    let pab =
        s3.get_public_access_block().bucket(&name).send().await.unwrap().public_access_block_configuration.unwrap();
    assert_eq!(pab.block_public_policy, Some(false));
    let policy = s3.get_bucket_policy().bucket(&name).send().await.unwrap().policy.unwrap();
    assert!(policy.contains("s3:GetObject") && policy.contains(&name), "{policy}");
    assert_eq!(
        b.status.as_ref().unwrap().website_url.as_deref(),
        Some(format!("http://{name}.s3-website-us-east-1.amazonaws.com").as_str())
    );

    // Drift: changes made directly in S3 are reverted within the resync interval.
    s3.put_bucket_versioning()
        .bucket(&name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
        )
        .send()
        .await
        .unwrap();
    s3.delete_bucket_lifecycle().bucket(&name).send().await.unwrap();
    s3.delete_bucket_website().bucket(&name).send().await.unwrap();
    eventually("drift is corrected", Duration::from_secs(30), || async {
        let v = s3.get_bucket_versioning().bucket(&name).send().await.ok()?;
        let lc = s3.get_bucket_lifecycle_configuration().bucket(&name).send().await.ok()?;
        let site = s3.get_bucket_website().bucket(&name).send().await.ok()?;
        (v.status == Some(BucketVersioningStatus::Suspended) && lc.rules().len() == 1 && site.index_document.is_some())
            .then_some(())
    })
    .await;

    // Default deletion policy Retain: the object goes, the bucket stays.
    api.delete("documents", &DeleteParams::default()).await.unwrap();
    eventually("the object is gone", CONVERGE, || async {
        api.get_opt("documents").await.unwrap().is_none().then_some(())
    })
    .await;
    assert!(bucket_exists(&s3, &name).await, "Retain keeps the bucket");
    drop(controller);
}

#[tokio::test]
async fn delete_policy_removes_the_bucket_and_a_non_empty_one_stalls_until_empty_on_delete() {
    let (env, ns, api, s3) = setup("delete").await;
    let _controller = env.controller(&ns, "e2e");
    env.apply(&ns, &manifest("scratch", "  deletionPolicy: Delete\n"));
    env.apply(&ns, &manifest("uploads", "  deletionPolicy: Delete\n  versioning: true\n"));
    let scratch = wait_bucket(&api, "scratch", "scratch Ready", ready).await;
    let uploads = wait_bucket(&api, "uploads", "uploads Ready", ready).await;
    let scratch_name = scratch.status.unwrap().bucket_name.unwrap();
    let uploads_name = uploads.status.unwrap().bucket_name.unwrap();
    assert!(scratch_name.starts_with(&format!("e2e-{ns}-scratch-")), "derived name: {scratch_name}");

    // An empty bucket with Delete goes away with its object.
    api.delete("scratch", &DeleteParams::default()).await.unwrap();
    eventually("scratch is gone", CONVERGE, || async { api.get_opt("scratch").await.unwrap().is_none().then_some(()) })
        .await;
    assert!(!bucket_exists(&s3, &scratch_name).await, "Delete removes the bucket");

    // A non-empty one stalls with BucketNotEmpty and keeps its data ...
    for version in ["one", "two"] {
        s3.put_object()
            .bucket(&uploads_name)
            .key("report.pdf")
            .body(version.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    api.delete("uploads", &DeleteParams::default()).await.unwrap();
    let b = wait_bucket(&api, "uploads", "BucketNotEmpty", |b| stalled_with(b, "BucketNotEmpty")).await;
    assert!(condition(&b, "Stalled").unwrap().2.contains("emptyOnDelete"), "{:?}", condition(&b, "Stalled"));
    assert!(bucket_exists(&s3, &uploads_name).await);
    assert!(s3.get_object().bucket(&uploads_name).key("report.pdf").send().await.is_ok(), "data kept");

    // ... until emptyOnDelete says the data may go: every version is deleted, then the bucket.
    let patch = serde_json::json!({"spec": {"emptyOnDelete": true}});
    api.patch("uploads", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    eventually("uploads is gone", CONVERGE, || async { api.get_opt("uploads").await.unwrap().is_none().then_some(()) })
        .await;
    assert!(!bucket_exists(&s3, &uploads_name).await);
}

#[tokio::test]
async fn someone_elses_bucket_is_a_conflict_until_adopted_and_paused_objects_are_left_alone() {
    let (env, ns, api, s3) = setup("owner").await;
    let controller = env.controller(&ns, "e2e");
    let name = format!("{ns}-legacy");
    s3.create_bucket().bucket(&name).send().await.unwrap();
    let theirs =
        Tagging::builder().tag_set(Tag::builder().key("owner").value("terraform").build().unwrap()).build().unwrap();
    s3.put_bucket_tagging().bucket(&name).tagging(theirs).send().await.unwrap();

    env.apply(&ns, &manifest("legacy", &format!("  bucketName: {name}\n  versioning: true\n")));
    let b = wait_bucket(&api, "legacy", "NameConflict", |b| stalled_with(b, "NameConflict")).await;
    assert!(condition(&b, "Stalled").unwrap().2.contains("stackwright.io/adopt"));
    assert_eq!(condition(&b, "Ready").unwrap().0, "False");
    // No writes to a bucket that is not ours.
    let v = s3.get_bucket_versioning().bucket(&name).send().await.unwrap();
    assert_eq!(v.status, None, "versioning untouched");
    assert_eq!(s3_tags(&s3, &name).await, BTreeMap::from([("owner".to_string(), "terraform".to_string())]));
    let events =
        env.kubectl(&["get", "events", "-n", &ns, "--field-selector", "reason=NameConflict", "-o", "name"], None);
    assert!(!String::from_utf8_lossy(&events.stdout).trim().is_empty(), "a NameConflict event is published");

    // Adopting takes it over: it gets our tags and the spec.
    let adopt = serde_json::json!({"metadata": {"annotations": {"stackwright.io/adopt": "true"}}});
    api.patch("legacy", &PatchParams::default(), &Patch::Merge(&adopt)).await.unwrap();
    wait_bucket(&api, "legacy", "Ready after adoption", ready).await;
    let tags = s3_tags(&s3, &name).await;
    assert_eq!(tags["stackwright.io/owner"], format!("Bucket/{ns}/legacy"));
    assert!(!tags.contains_key("owner"), "the spec's tags replace the old ones");
    let v = s3.get_bucket_versioning().bucket(&name).send().await.unwrap();
    assert_eq!(v.status, Some(BucketVersioningStatus::Enabled));

    // Paused: no AWS writes at all, but status reports the drift.
    let m = controller.metrics().await;
    let writes_before = aws_calls(&m, stackwright_cloud::calls::is_write);
    let pause = serde_json::json!({"metadata": {"annotations": {"stackwright.io/paused": "true"}}, "spec": {"tags": {"a": "b"}}});
    api.patch("legacy", &PatchParams::default(), &Patch::Merge(&pause)).await.unwrap();
    let b = wait_bucket(&api, "legacy", "Paused", |b| {
        condition(b, "Ready").is_some_and(|(s, r, _)| s == "False" && r == "Paused")
            && b.status.as_ref().unwrap().common.observed_generation == b.metadata.generation
    })
    .await;
    assert!(condition(&b, "Ready").unwrap().2.contains("tags"), "{:?}", condition(&b, "Ready"));
    assert!(!s3_tags(&s3, &name).await.contains_key("a"));
    assert_eq!(aws_calls(&controller.metrics().await, stackwright_cloud::calls::is_write), writes_before);

    // Unpausing resumes.
    let resume = serde_json::json!({"metadata": {"annotations": {"stackwright.io/paused": null}}});
    api.patch("legacy", &PatchParams::default(), &Patch::Merge(&resume)).await.unwrap();
    wait_bucket(&api, "legacy", "Ready after unpausing", ready).await;
    assert_eq!(s3_tags(&s3, &name).await["a"], "b");
}

#[tokio::test]
async fn a_name_held_by_another_account_stalls_and_is_left_alone() {
    let (env, ns, api, _s3) = setup("foreign").await;
    let _controller = env.controller(&ns, "e2e");
    let name = format!("{ns}-theirs");
    let theirs = env.s3_in_account("210987654321").await;
    theirs.create_bucket().bucket(&name).send().await.unwrap();
    let tag = Tagging::builder().tag_set(Tag::builder().key("owner").value("them").build().unwrap()).build().unwrap();
    theirs.put_bucket_tagging().bucket(&name).tagging(tag).send().await.unwrap();

    env.apply(&ns, &manifest("theirs", &format!("  bucketName: {name}\n  versioning: true\n")));
    let b = wait_bucket(&api, "theirs", "NameConflict", |b| stalled_with(b, "NameConflict")).await;
    assert_eq!(condition(&b, "Ready").unwrap().0, "False");
    // Their bucket is exactly as they left it.
    assert_eq!(s3_tags(&theirs, &name).await, BTreeMap::from([("owner".to_string(), "them".to_string())]));
    assert_eq!(theirs.get_bucket_versioning().bucket(&name).send().await.unwrap().status, None);
}

#[tokio::test]
async fn a_controller_killed_mid_convergence_is_replaced_without_duplicates_or_orphans() {
    let (env, ns, api, s3) = setup("restart").await;
    let mut first = env.controller(&ns, "e2e");
    let names: Vec<String> = (0..6).map(|i| format!("b{i}")).collect();
    let all: String =
        names.iter().map(|n| manifest(n, "  versioning: true\n  tags: {batch: restart}\n") + "\n---\n").collect();
    env.apply(&ns, &all);
    // Kill it as soon as it has started writing status: some buckets are done, some in flight.
    eventually("the first controller is working", CONVERGE, || async {
        let list = api.list(&Default::default()).await.ok()?;
        list.items.iter().any(|b| b.status.is_some()).then_some(())
    })
    .await;
    first.kill();

    let second = env.controller(&ns, "e2e");
    for n in &names {
        wait_bucket(&api, n, "Ready after the restart", ready).await;
    }
    // Exactly one bucket per object, each named as its status says, each tagged as its owner.
    let owned: Vec<String> = {
        let listed = s3.list_buckets().send().await.unwrap();
        let mut owned = Vec::new();
        for b in listed.buckets() {
            let bname = b.name().unwrap().to_string();
            if s3_tags(&s3, &bname)
                .await
                .get("stackwright.io/owner")
                .is_some_and(|o| o.starts_with(&format!("Bucket/{ns}/")))
            {
                owned.push(bname);
            }
        }
        owned
    };
    assert_eq!(owned.len(), names.len(), "one bucket per object: {owned:?}");
    for n in &names {
        let b = api.get(n).await.unwrap();
        assert!(owned.contains(&b.status.unwrap().bucket_name.unwrap()));
    }
    drop(second);
}

#[tokio::test]
async fn the_binary_serves_health_and_metrics_and_stops_on_sigterm() {
    let (env, ns, api, _s3) = setup("ops").await;
    // A resync far away: whatever reconciles below was triggered by a change.
    let mut controller = env.controller_with_resync(&ns, "e2e", "1h");
    assert_eq!(eventually_status(&controller, "/healthz").await, 200);
    eventually("/readyz is 200", Duration::from_secs(30), || async {
        (controller.get("/readyz").map(|(c, _)| c) == Some(200)).then_some(())
    })
    .await;
    env.apply(&ns, &manifest("logs", "  versioning: true\n"));
    wait_bucket(&api, "logs", "Ready", ready).await;
    let m = controller.metrics().await;
    assert!(metric(&m, r#"stackwright_reconciles_total{kind="Bucket"}"#) >= 1, "{m}");
    assert!(m.contains("stackwright_reconcile_duration_seconds_bucket{"), "{m}");
    assert!(aws_calls(&m, |op| op == "CreateBucket") == 1, "{m}");
    assert!(
        m.contains(r#"stackwright_aws_calls_total{service="S3",operation="HeadBucket",outcome="not_found"}"#),
        "{m}"
    );
    let status = controller.terminate(Duration::from_secs(30));
    assert!(status.is_some_and(|s| s.success()), "exit on SIGTERM: {status:?}\n{}", controller.log_tail());
}

#[tokio::test]
async fn sigterm_stops_the_binary_even_when_the_api_server_is_unreachable() {
    let dir = env().dir.join("unreachable");
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    // Port 9 (discard) on loopback: nothing listens there.
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stackwright"))
        .args(["run", "--metrics-addr", "127.0.0.1:0"])
        .env("KUBECONFIG", &kubeconfig)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(dir.join("controller.log")).unwrap())
        .stderr(std::fs::File::create(dir.join("controller.err")).unwrap())
        .spawn()
        .unwrap();
    // SIGTERM once it runs and keeps trying to reach the API server (for the leader lease).
    eventually("the controller has started and tries the API server", Duration::from_secs(30), || async {
        let log = std::fs::read_to_string(dir.join("controller.log")).unwrap_or_default();
        log.contains("cannot enter the leader election yet").then_some(())
    })
    .await;
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    // Bounded: the grace period is 20 s; allow generous slack on a loaded machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the controller did not exit within 60 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(status.success(), "exit status {status:?}");
}

async fn eventually_status(controller: &support::Controller, path: &str) -> u16 {
    eventually("the endpoint answers", Duration::from_secs(30), || async { controller.get(path).map(|(c, _)| c) }).await
}
