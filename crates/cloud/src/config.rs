//! The only place that builds AWS SDK configuration: region, endpoint override (the local
//! emulator or a VPC endpoint), retries with backoff and jitter plus client-side rate limiting
//! (the SDK's adaptive retry mode), timeouts, and the call-counting interceptor.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::calls::{CallRecorder, CountingInterceptor};
use crate::s3::S3;

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
}

impl Cloud {
    /// Loads credentials and settings the standard way (environment, profile, IRSA / pod
    /// identity, instance metadata) and applies ours on top.
    pub async fn new(settings: AwsSettings, recorder: Arc<dyn CallRecorder>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(settings.default_region.clone()))
            .retry_config(RetryConfig::adaptive().with_max_attempts(5).with_initial_backoff(Duration::from_millis(200)))
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
        Cloud { inner: Arc::new(Inner { base, settings, recorder, s3: Mutex::new(HashMap::new()) }) }
    }

    pub fn default_region(&self) -> &str {
        &self.inner.settings.default_region
    }

    /// The S3 client for `region`.
    pub fn s3(&self, region: &str) -> S3 {
        let mut cache = self.inner.s3.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(region.to_string())
            .or_insert_with(|| {
                let mut conf = aws_sdk_s3::config::Builder::from(&self.inner.base)
                    .region(Region::new(region.to_string()))
                    .interceptor(CountingInterceptor(self.inner.recorder.clone()));
                // Virtual-hosted bucket addressing needs DNS for <bucket>.<endpoint>, which an
                // endpoint override on an IP address does not have.
                if self.inner.settings.endpoint_url.is_some() {
                    conf = conf.force_path_style(true);
                }
                S3::new(aws_sdk_s3::Client::from_conf(conf.build()), region)
            })
            .clone()
    }
}
