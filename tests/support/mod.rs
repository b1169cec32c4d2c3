//! The test harness: a real kube-apiserver + etcd + moto for each test binary, started through
//! `scripts/localenv.sh` (the same mechanism as `make localenv`), the real `stackwright` binary
//! as a subprocess, and independent clients for asserting what ended up in Kubernetes and AWS.
//!
//! The environment is shared by the tests of one binary (each test works in its own namespace
//! with its own controller) and stopped by localenv's watcher when the test process exits, also
//! when a test fails or the process is killed.

#![allow(dead_code, clippy::unwrap_used)]

pub mod crash;

use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};

pub const REGION: &str = "us-east-1";
const ACCESS_KEY: &str = "testing";
const SECRET_KEY: &str = "testing";

/// One running local environment.
#[derive(Debug)]
pub struct Env {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    pub aws_endpoint: String,
    pub kubectl: PathBuf,
}

static ENV: OnceLock<Env> = OnceLock::new();
static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The environment of this test binary, started on first use.
pub fn env() -> &'static Env {
    ENV.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("stackwright-test-{}", std::process::id()));
        let out = Command::new(repo_root().join("scripts/localenv.sh"))
            .args(["up", "--dir"])
            .arg(&dir)
            .args(["--watch-pid", &std::process::id().to_string()])
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/localenv.sh");
        assert!(out.status.success(), "scripts/localenv.sh up failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let vars = std::fs::read_to_string(dir.join("env")).unwrap();
        let var = |name: &str| {
            vars.lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string())
                .unwrap_or_else(|| panic!("{name} missing from {}", dir.join("env").display()))
        };
        let env = Env {
            kubeconfig: PathBuf::from(var("KUBECONFIG")),
            aws_endpoint: var("AWS_ENDPOINT_URL"),
            kubectl: PathBuf::from(var("STACKWRIGHT_KUBECTL")),
            dir,
        };
        env.install_crds();
        env
    })
}

impl Env {
    fn install_crds(&self) {
        let yaml = stackwright_api::crds_yaml().unwrap();
        let out =
            self.kubectl(&["apply", "--server-side", "--field-manager=stackwright-tests", "-f", "-"], Some(&yaml));
        assert!(out.status.success(), "installing CRDs: {}", String::from_utf8_lossy(&out.stderr));
        let out = self.kubectl(&["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"], None);
        assert!(out.status.success(), "CRDs not established: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs the built kubectl against this environment.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(&self.kubectl)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or_default().as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// A Kubernetes client for this environment (one per test: clients belong to a runtime).
    pub async fn client(&self) -> kube::Client {
        let kc = Kubeconfig::read_from(&self.kubeconfig).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await.unwrap();
        kube::Client::try_from(config).unwrap()
    }

    /// A plain S3 client, independent of the controller's adapter, for asserting AWS state.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        self.s3_in(REGION).await
    }

    /// The same, for another region.
    pub async fn s3_in(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .region(aws_config::Region::new(region.to_string()))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An S3 client acting as another AWS account (moto keeps state per account; STS AssumeRole
    /// into a role of that account yields its credentials).
    pub async fn s3_in_account(&self, account: &str) -> aws_sdk_s3::Client {
        let config = self.sdk_config().await;
        let sts = aws_sdk_sts::Client::new(&config);
        let role = format!("arn:aws:iam::{account}:role/stackwright-tests");
        let creds =
            sts.assume_role().role_arn(role).role_session_name("tests").send().await.unwrap().credentials.unwrap();
        let conf = aws_sdk_s3::config::Builder::from(&config)
            .credentials_provider(aws_credential_types::Credentials::new(
                creds.access_key_id,
                creds.secret_access_key,
                Some(creds.session_token),
                None,
                "assume-role",
            ))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// The objects `kubectl kustomize DIR` renders, as YAML documents, keeping those of `kind`,
    /// without the kustomization's namespace (tests apply them into their own).
    pub fn kustomize(&self, dir: &Path, kind: &str) -> Vec<String> {
        let out = self.kubectl(&["kustomize", &dir.to_string_lossy()], None);
        assert!(out.status.success(), "kustomize {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .split("\n---\n")
            .filter(|doc| doc.lines().any(|l| l == format!("kind: {kind}")))
            .map(|doc| doc.lines().filter(|l| !l.starts_with("  namespace: ")).collect::<Vec<_>>().join("\n"))
            .collect()
    }

    /// POSTs to one of the emulator's test-control routes (`/stackwright-emulator/...`), e.g.
    /// `rds/maintenance-window`; returns its JSON answer.
    pub fn emulator(&self, route: &str) -> String {
        let port: u16 = self.aws_endpoint.rsplit(':').next().unwrap().trim_end_matches('/').parse().unwrap();
        let (code, body) = http(port, "POST", &format!("/stackwright-emulator/{route}")).expect("the emulator answers");
        assert_eq!(code, 200, "{route}: {body}");
        body
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(&self.aws_endpoint)
            .credentials_provider(aws_credential_types::Credentials::from_keys(ACCESS_KEY, SECRET_KEY, None))
            .load()
            .await
    }

    /// The settings that point the cloud crate at this environment's AWS.
    pub fn aws_settings(&self) -> stackwright_cloud::AwsSettings {
        stackwright_cloud::AwsSettings {
            default_region: REGION.into(),
            endpoint_url: Some(self.aws_endpoint.clone()),
            static_credentials: Some((ACCESS_KEY.into(), SECRET_KEY.into())),
            rate_limits: Default::default(),
            faults: None,
        }
    }

    /// A new namespace with a unique name starting with `prefix`.
    pub async fn namespace(&self, prefix: &str) -> String {
        let name = format!("{prefix}-{}-{}", std::process::id() % 100_000, SEQ.fetch_add(1, Ordering::Relaxed));
        let out = self.kubectl(&["create", "namespace", &name], None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        name
    }

    /// Applies YAML manifests into `namespace`; panics with kubectl's message if refused.
    pub fn apply(&self, namespace: &str, yaml: &str) {
        let out = self.try_apply(namespace, yaml);
        assert!(out.status.success(), "kubectl apply refused:\n{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Applies YAML manifests into `namespace` and returns kubectl's result.
    pub fn try_apply(&self, namespace: &str, yaml: &str) -> Output {
        self.kubectl(&["apply", "--server-side", "--field-manager=tests", "-n", namespace, "-f", "-"], Some(yaml))
    }

    /// Starts the real `stackwright run`, watching `namespace` only, resyncing every 3 s.
    pub fn controller(&self, namespace: &str, cluster_id: &str) -> Controller {
        self.controller_with_resync(namespace, cluster_id, "3s")
    }

    /// The same with another resync interval.
    pub fn controller_with_resync(&self, namespace: &str, cluster_id: &str, resync: &str) -> Controller {
        self.controller_with(namespace, cluster_id, resync, &["--leader-elect=false"])
    }

    /// The real `stackwright run` with a resync interval and further arguments (leader election
    /// is on unless they switch it off, as in a real deployment).
    pub fn controller_with(&self, namespace: &str, cluster_id: &str, resync: &str, args: &[&str]) -> Controller {
        let port = free_port();
        let log = self.dir.join(format!("controller-{namespace}-{}.log", SEQ.fetch_add(1, Ordering::Relaxed)));
        let child = Command::new(env!("CARGO_BIN_EXE_stackwright"))
            .args(["run", "--namespace", namespace, "--cluster-id", cluster_id, "--resync-interval", resync])
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("AWS_ENDPOINT_URL", &self.aws_endpoint)
            .env("AWS_REGION", REGION)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("RUST_LOG", "info,stackwright_controller=debug")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .expect("start stackwright run");
        Controller { child: Some(child), port, log }
    }
}

/// A `stackwright run` subprocess; killed when dropped.
#[derive(Debug)]
pub struct Controller {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Controller {
    /// GET a path of the operations endpoint: (status code, body).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        http_get(self.port, path)
    }

    /// The Prometheus exposition, once the endpoint answers.
    pub async fn metrics(&self) -> String {
        eventually("the metrics endpoint answers", Duration::from_secs(30), || async {
            self.get("/metrics").map(|(_, b)| b)
        })
        .await
    }

    /// Peak resident memory of the process so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse().ok())
    }

    /// Waits (bounded) for the process to end by itself, e.g. after an injected crash.
    pub async fn exited(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// Kills the process at once (SIGKILL): a crash, at whatever line it was.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = c.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.with_extension("err")).unwrap_or_default()
            + &std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http(port, "GET", path)
}

fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let code = resp.split_whitespace().nth(1)?.parse().ok()?;
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((code, body))
}

/// Polls `check` every 250 ms until it yields `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting until {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Sum of `stackwright_aws_calls_total` series whose operation satisfies `select`.
pub fn aws_calls(metrics: &str, select: impl Fn(&str) -> bool) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("stackwright_aws_calls_total{"))
        .filter_map(|l| {
            let op = l.split("operation=\"").nth(1)?.split('"').next()?;
            let value: f64 = l.rsplit(' ').next()?.parse().ok()?;
            select(op).then_some(value as u64)
        })
        .sum()
}

/// The value of one unlabelled-or-exactly-labelled series, e.g. `stackwright_status_writes_total{kind="Bucket"}`.
pub fn metric(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse::<f64>().ok()))
        .map_or(0, |v| v as u64)
}

/// Records, from now on and in order, every condition that is True on the objects of `api`, as
/// `Type/Reason` (a repeat of the last one is not recorded again).
pub async fn record_conditions<K>(api: kube::Api<K>) -> std::sync::Arc<std::sync::Mutex<Vec<String>>>
where
    K: kube::Resource
        + Clone
        + k8s_openapi::serde::Serialize
        + for<'de> k8s_openapi::serde::Deserialize<'de>
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    watch_from_now(api, move |obj: &K| {
        let value = serde_json::to_value(obj).unwrap_or_default();
        let list = value["status"]["conditions"].as_array().cloned().unwrap_or_default();
        for c in list.iter().filter(|c| c["status"] == "True") {
            let entry = format!("{}/{}", c["type"].as_str().unwrap_or(""), c["reason"].as_str().unwrap_or(""));
            let mut seen = record.lock().unwrap();
            if seen.last() != Some(&entry) {
                seen.push(entry);
            }
        }
    })
    .await;
    seen
}

/// Calls `each` with every version of every object `api` lists and then sees change, from the
/// moment this returns: it waits until the watch has listed, so no change after it is missed.
/// The watch ends when the returned handle is aborted or the test ends.
pub async fn watch_from_now<K>(
    api: kube::Api<K>,
    mut each: impl FnMut(&K) + Send + 'static,
) -> tokio::task::JoinHandle<()>
where
    K: kube::Resource + Clone + for<'de> k8s_openapi::serde::Deserialize<'de> + std::fmt::Debug + Send + Sync + 'static,
{
    use futures::StreamExt;
    use kube::runtime::watcher::{self, Event, watcher};
    let (listed, is_listed) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        let mut listed = Some(listed);
        let mut events = std::pin::pin!(watcher(api, watcher::Config::default()));
        while let Some(event) = events.next().await {
            match event {
                Ok(Event::Apply(obj) | Event::InitApply(obj)) => each(&obj),
                Ok(Event::InitDone) => {
                    if let Some(tx) = listed.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Init | Event::Delete(_)) | Err(_) => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(60), is_listed).await.expect("the watch lists within 60 s").unwrap();
    handle
}

/// A VPC `10.<octet>.0.0/16` with two subnets in two zones, as a user's existing network.
pub async fn network(ec2: &aws_sdk_ec2::Client, octet: u8) -> (String, Vec<String>) {
    network_in(ec2, octet, REGION).await
}

/// The same in `region` (the client's).
pub async fn network_in(ec2: &aws_sdk_ec2::Client, octet: u8, region: &str) -> (String, Vec<String>) {
    let vpc =
        ec2.create_vpc().cidr_block(format!("10.{octet}.0.0/16")).send().await.unwrap().vpc.unwrap().vpc_id.unwrap();
    let mut subnets = Vec::new();
    for (i, az) in ["a", "b"].into_iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{octet}.{i}.0/24"))
            .availability_zone(format!("{region}{az}"))
            .send()
            .await
            .unwrap();
        subnets.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }
    (vpc, subnets)
}

/// A VPC `10.<octet>.0.0/16` in `region` with two public and two private subnets in two zones,
/// as a user's existing network for an AppStack: `(vpc, public, private)`.
pub async fn stack_network_in(
    ec2: &aws_sdk_ec2::Client,
    octet: u8,
    region: &str,
) -> (String, Vec<String>, Vec<String>) {
    let (vpc, public) = network_in(ec2, octet, region).await;
    let mut private = Vec::new();
    for (i, az) in ["a", "b"].into_iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{octet}.{}.0/24", 10 + i))
            .availability_zone(format!("{region}{az}"))
            .send()
            .await
            .unwrap();
        private.push(subnet.subnet.unwrap().subnet_id.unwrap());
    }
    (vpc, public, private)
}

/// An AppStack manifest (as an example writes it) with its network replaced by an existing one.
pub fn on_existing_network(manifest: &str, vpc: &str, public: &[String], private: &[String]) -> String {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(manifest).unwrap();
    let network = serde_json::json!({"vpcId": vpc, "publicSubnetIds": public, "privateSubnetIds": private});
    doc["spec"]["network"] = serde_yaml::to_value(network).unwrap();
    serde_yaml::to_string(&doc).unwrap()
}

/// A security group created by hand in `vpc` (someone else's, to the controller).
pub async fn task_group(ec2: &aws_sdk_ec2::Client, vpc: &str, name: &str) -> String {
    let out = ec2.create_security_group().vpc_id(vpc).group_name(name).description("tasks").send().await.unwrap();
    out.group_id.unwrap()
}

/// What a security group admits, as sorted `port:source` lines.
pub async fn ingress_sources(ec2: &aws_sdk_ec2::Client, group: &str) -> Vec<String> {
    let out = ec2.describe_security_groups().group_ids(group).send().await.unwrap();
    let mut sources: Vec<String> = out.security_groups()[0]
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let port = p.from_port().unwrap_or_default();
            let groups = p.user_id_group_pairs().iter().filter_map(|u| u.group_id().map(str::to_string));
            let cidrs = p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string));
            groups.chain(cidrs).map(move |s| format!("{port}:{s}")).collect::<Vec<_>>()
        })
        .collect();
    sources.sort();
    sources
}

/// Waits until a Database's or Cache's security group admits exactly `want` (`port:source`
/// lines): its rules follow the bound stacks' status, which the stacks write on their own time.
pub async fn admits(ec2: &aws_sdk_ec2::Client, group: &str, want: &[String]) {
    let mut want = want.to_vec();
    want.sort();
    let what = format!("{group} admits exactly {want:?}");
    eventually(&what, Duration::from_secs(60), || async { (ingress_sources(ec2, group).await == want).then_some(()) })
        .await;
}

/// A server certificate in IAM, which an HTTPS listener can name (the emulator checks that it
/// exists); its ARN.
pub async fn server_certificate(name: &str) -> String {
    let iam = aws_sdk_iam::Client::new(&env().sdk_config().await);
    let out = iam
        .upload_server_certificate()
        .server_certificate_name(name)
        .certificate_body("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
        .private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")
        .send()
        .await
        .unwrap();
    out.server_certificate_metadata.unwrap().arn
}

/// The subnets (sorted) of the DB subnet group of the DB instance in `vpc`.
pub async fn db_subnets_in(rds: &aws_sdk_rds::Client, vpc: &str) -> Vec<String> {
    let dbs = rds.describe_db_instances().send().await.unwrap();
    let db = dbs.db_instances().iter().find(|d| d.db_subnet_group().and_then(|g| g.vpc_id()) == Some(vpc));
    let group = db.and_then(|d| d.db_subnet_group()).expect("a DB instance in the VPC");
    let mut subnets: Vec<String> =
        group.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)).collect();
    subnets.sort();
    subnets
}

/// An AppStack `name` in `vpc` binding `bindings`, with one small worker service running in
/// `subnets` (which Databases and Caches placed with `network.appStack` use too). The AppStack
/// controller of the test's `stackwright run` creates the stack's task security group and
/// reports it and the network in the stack's status.
pub fn put_stack(env: &Env, ns: &str, name: &str, bindings: &str, vpc: &str, subnets: &[String]) {
    env.apply(
        ns,
        &format!(
            "apiVersion: stackwright.io/v1alpha1\nkind: AppStack\nmetadata:\n  name: {name}\nspec:\n  network: {{vpcId: {vpc}, privateSubnetIds: [{}]}}\n  services: [{{name: worker, image: \"registry.example/worker:1\", cpu: 256, memory: 512}}]\n  bindings: {bindings}\n",
            subnets.join(", ")
        ),
    );
}

/// The task security group the AppStack `name` reports, once it does.
pub async fn stack_tasks(env: &Env, ns: &str, name: &str) -> String {
    let stacks: kube::Api<stackwright_api::AppStack> = kube::Api::namespaced(env.client().await, ns);
    eventually(&format!("AppStack {name} reports its task security group"), Duration::from_secs(120), || async {
        stacks.get_opt(name).await.ok().flatten()?.status?.task_security_group_id
    })
    .await
}

/// The conditions of any Stackwright object, as `(status, reason, message)` of `type_`.
pub fn condition(
    conditions: &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition],
    type_: &str,
) -> Option<(String, String, String)> {
    let c = conditions.iter().find(|c| c.type_ == type_)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// Base64 of `s`, to look for a secret value in a dump of Kubernetes objects too.
pub fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
