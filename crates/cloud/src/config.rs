//! The only place that builds AWS SDK configuration: region, endpoint override (the local
//! emulator or a VPC endpoint), retries with exponential backoff and jitter (the SDK's standard
//! mode: the token bucket per service below limits the rate before AWS has to; the SDK's adaptive
//! mode, which cuts its own rate after every throttled call, crawled under sustained errors —
//! five Buckets took two minutes with 30 % of calls failing), timeouts, the call-counting
//! interceptor (with the fault plan of tests) and a token bucket per (service, region) under each
//! client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::autoscaling::AutoScaling;
use crate::calls::{CallRecorder, CountingInterceptor};
use crate::ec2::Ec2;
use crate::ecs::Ecs;
use crate::efs::Efs;
use crate::elasticache::ElastiCache;
use crate::elbv2::Elbv2;
use crate::faults::FaultPlan;
use crate::iam::Iam;
use crate::logs::Logs;
use crate::rds::Rds;
use crate::s3::S3;
use crate::secretsmanager::SecretsManager;
use crate::servicediscovery::CloudMap;
use crate::transport::{RateLimits, Transport};

/// How to reach AWS.
#[derive(Clone, Debug)]
pub struct AwsSettings {
    /// Region for objects that do not set `spec.region`.
    pub default_region: String,
    /// Send every call to this endpoint instead of AWS's (e.g. the local emulator).
    pub endpoint_url: Option<String>,
    /// A static access key pair instead of the standard credential chain (environment, profile,
    /// IRSA / pod identity, instance metadata). For emulators and in-process tests only.
    pub static_credentials: Option<(String, String)>,
    /// Client-side request rates per service (defaults near AWS's published rates).
    pub rate_limits: RateLimits,
    /// Faults to inject (tests only); `None` in normal operation.
    pub faults: Option<Arc<FaultPlan>>,
}

/// The client of one service for `region`, built once with the layers every client gets (region,
/// call-counting interceptor, rate-limited transport) and cached per region.
macro_rules! regional_client {
    ($cloud:ident, $field:ident, $service:literal, $sdk:ident, $adapter:ident, $region:ident) => {{
        let mut cache = $cloud.inner.$field.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry($region.to_string())
            .or_insert_with(|| {
                let layers = $cloud.layers($service, $region);
                let mut conf = $sdk::config::Builder::from(&$cloud.inner.base)
                    .region(layers.region)
                    .interceptor(layers.interceptor);
                if let Some(transport) = layers.transport {
                    conf = conf.http_client(transport);
                }
                $adapter::new($sdk::Client::from_conf(conf.build()))
            })
            .clone()
    }};
}

/// Clients for every AWS service, per region, created on first use and shared.
#[derive(Clone, Debug)]
pub struct Cloud {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base: SdkConfig,
    settings: AwsSettings,
    recorder: Arc<dyn CallRecorder>,
    s3: Mutex<HashMap<String, S3>>,
    rds: Mutex<HashMap<String, Rds>>,
    ec2: Mutex<HashMap<String, Ec2>>,
    elasticache: Mutex<HashMap<String, ElastiCache>>,
    secretsmanager: Mutex<HashMap<String, SecretsManager>>,
    ecs: Mutex<HashMap<String, Ecs>>,
    elbv2: Mutex<HashMap<String, Elbv2>>,
    autoscaling: Mutex<HashMap<String, AutoScaling>>,
    iam: Mutex<HashMap<String, Iam>>,
    logs: Mutex<HashMap<String, Logs>>,
    cloudmap: Mutex<HashMap<String, CloudMap>>,
    efs: Mutex<HashMap<String, Efs>>,
}

impl Cloud {
    /// Loads credentials and settings the standard way (environment, profile, IRSA / pod
    /// identity, instance metadata) and applies ours on top.
    pub async fn new(settings: AwsSettings, recorder: Arc<dyn CallRecorder>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https_client())
            .region(Region::new(settings.default_region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(5).with_initial_backoff(Duration::from_millis(200)))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            );
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((key, secret)) = &settings.static_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::from_keys(key, secret, None));
        }
        let base = loader.load().await;
        Cloud {
            inner: Arc::new(Inner {
                base,
                settings,
                recorder,
                s3: Mutex::new(HashMap::new()),
                rds: Mutex::new(HashMap::new()),
                ec2: Mutex::new(HashMap::new()),
                elasticache: Mutex::new(HashMap::new()),
                secretsmanager: Mutex::new(HashMap::new()),
                ecs: Mutex::new(HashMap::new()),
                elbv2: Mutex::new(HashMap::new()),
                autoscaling: Mutex::new(HashMap::new()),
                iam: Mutex::new(HashMap::new()),
                logs: Mutex::new(HashMap::new()),
                cloudmap: Mutex::new(HashMap::new()),
                efs: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn default_region(&self) -> &str {
        &self.inner.settings.default_region
    }

    /// What every service client gets on top of the shared configuration: its region, the
    /// call-counting interceptor and the rate-limited transport of (service, region).
    fn layers(&self, service: &'static str, region: &str) -> Layers {
        let inner = &self.inner;
        Layers {
            region: Region::new(region.to_string()),
            interceptor: CountingInterceptor {
                recorder: inner.recorder.clone(),
                faults: inner.settings.faults.clone(),
            },
            transport: inner.base.http_client().map(|http| {
                // Always present: `new` sets it.
                Transport::new(http, service, region, inner.settings.rate_limits.rate(service), inner.recorder.clone())
            }),
        }
    }

    /// The S3 client for `region`.
    pub fn s3(&self, region: &str) -> S3 {
        let mut cache = self.inner.s3.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(region.to_string())
            .or_insert_with(|| {
                let layers = self.layers("s3", region);
                let mut conf = aws_sdk_s3::config::Builder::from(&self.inner.base)
                    .region(layers.region)
                    .interceptor(layers.interceptor);
                if let Some(transport) = layers.transport {
                    conf = conf.http_client(transport);
                }
                // Virtual-hosted bucket addressing needs DNS for <bucket>.<endpoint>, which an
                // endpoint override on an IP address does not have.
                if self.inner.settings.endpoint_url.is_some() {
                    conf = conf.force_path_style(true);
                }
                S3::new(aws_sdk_s3::Client::from_conf(conf.build()), region)
            })
            .clone()
    }

    /// The ElastiCache client for `region`.
    pub fn elasticache(&self, region: &str) -> ElastiCache {
        regional_client!(self, elasticache, "elasticache", aws_sdk_elasticache, ElastiCache, region)
    }

    /// The Secrets Manager client for `region`.
    pub fn secretsmanager(&self, region: &str) -> SecretsManager {
        regional_client!(self, secretsmanager, "secretsmanager", aws_sdk_secretsmanager, SecretsManager, region)
    }

    /// The RDS client for `region`.
    pub fn rds(&self, region: &str) -> Rds {
        regional_client!(self, rds, "rds", aws_sdk_rds, Rds, region)
    }

    /// The ECS client for `region`.
    pub fn ecs(&self, region: &str) -> Ecs {
        regional_client!(self, ecs, "ecs", aws_sdk_ecs, Ecs, region)
    }

    /// The Elastic Load Balancing v2 client for `region`.
    pub fn elbv2(&self, region: &str) -> Elbv2 {
        regional_client!(self, elbv2, "elbv2", aws_sdk_elasticloadbalancingv2, Elbv2, region)
    }

    /// The Application Auto Scaling client for `region`.
    pub fn autoscaling(&self, region: &str) -> AutoScaling {
        regional_client!(self, autoscaling, "autoscaling", aws_sdk_applicationautoscaling, AutoScaling, region)
    }

    /// The IAM client (IAM is global; `region` only picks the signing region of the endpoint).
    pub fn iam(&self, region: &str) -> Iam {
        regional_client!(self, iam, "iam", aws_sdk_iam, Iam, region)
    }

    /// The CloudWatch Logs client for `region`.
    pub fn logs(&self, region: &str) -> Logs {
        regional_client!(self, logs, "logs", aws_sdk_cloudwatchlogs, Logs, region)
    }

    /// The AWS Cloud Map client for `region`.
    pub fn cloudmap(&self, region: &str) -> CloudMap {
        regional_client!(self, cloudmap, "servicediscovery", aws_sdk_servicediscovery, CloudMap, region)
    }

    /// The EFS client for `region`.
    pub fn efs(&self, region: &str) -> Efs {
        regional_client!(self, efs, "efs", aws_sdk_efs, Efs, region)
    }

    /// The EC2 client for `region`.
    pub fn ec2(&self, region: &str) -> Ec2 {
        regional_client!(self, ec2, "ec2", aws_sdk_ec2, Ec2, region)
    }
}

struct Layers {
    region: Region,
    interceptor: CountingInterceptor,
    transport: Option<Transport>,
}

/// The HTTPS client the SDK would build by default (rustls with aws-lc, proxy settings from the
/// environment), made here so that every service client's transport can wrap it.
fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}
