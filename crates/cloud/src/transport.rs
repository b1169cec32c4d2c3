//! The HTTP layer under every AWS client: a token bucket per (service, region) in front of the
//! SDK's own HTTP client — so a thousand objects resyncing never exceed what AWS allows, instead
//! of slowing down only after AWS has throttled — and the place where an injected fault answers
//! instead of AWS.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use governor::{DefaultDirectRateLimiter, Quota};

use crate::calls::CallRecorder;
use crate::faults::{Protocol, error_body, status_for};

/// Request header the call interceptor sets to have this layer answer with an AWS error code.
pub(crate) const FAULT_HEADER: &str = "x-stackwright-injected-fault";
/// Request header the call interceptor sets to have this layer wait before sending.
pub(crate) const DELAY_HEADER: &str = "x-stackwright-injected-delay-ms";

/// A sustained request rate and a burst, for one AWS service in one region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: u32,
}

/// Client-side request rates per AWS service: defaults near each service's published
/// control-plane limits, and overrides from `--aws-rate-limit`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimits {
    overrides: BTreeMap<String, Rate>,
}

impl RateLimits {
    /// Parses `service=RPS[:BURST],...`, e.g. `ec2=10:50,s3=200`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut overrides = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("rate limit {part:?}: expected SERVICE=RPS or SERVICE=RPS:BURST, e.g. ec2=10:50");
            let (service, rate) = part.split_once('=').ok_or_else(bad)?;
            let (rps, burst) = match rate.split_once(':') {
                Some((rps, burst)) => (rps, Some(burst)),
                None => (rate, None),
            };
            let per_second: f64 = rps.parse().map_err(|_| bad())?;
            if !(per_second > 0.0 && per_second.is_finite()) {
                return Err(format!("rate limit {part:?}: the rate must be above 0"));
            }
            let burst = match burst {
                Some(b) => b.parse().ok().filter(|b| *b > 0).ok_or_else(bad)?,
                None => (per_second.ceil() as u32).max(1),
            };
            overrides.insert(service.trim().to_ascii_lowercase(), Rate { per_second, burst });
        }
        Ok(RateLimits { overrides })
    }

    /// The rate for `service` (the SDK crate's name without `aws-sdk-`, e.g. `ec2`, `s3`).
    pub fn rate(&self, service: &str) -> Rate {
        if let Some(rate) = self.overrides.get(service) {
            return *rate;
        }
        // Near the documented per-account control-plane rates (EC2's token buckets, ECS's and
        // CloudWatch Logs' per-action limits), a little below them so other tools in the account
        // keep room; services without published figures get a conservative 10/s.
        let (per_second, burst) = match service {
            "ec2" => (20.0, 100),
            "ecs" => (20.0, 50),
            "s3" => (100.0, 200),
            "secretsmanager" => (40.0, 80),
            "sts" => (20.0, 40),
            "logs" => (5.0, 10),
            // RDS: a burst of 300 and 12/s sustained per account and region (RDS User Guide,
            // "Request throttling for the Amazon RDS API").
            "rds" => (10.0, 250),
            "elasticache" | "elbv2" => (10.0, 40),
            _ => (10.0, 20),
        };
        Rate { per_second, burst }
    }
}

/// Wraps the SDK's HTTP client for one (service, region).
#[derive(Debug)]
pub(crate) struct Transport {
    inner: SharedHttpClient,
    layer: Arc<Layer>,
}

#[derive(Debug)]
struct Layer {
    service: &'static str,
    region: String,
    /// Every call takes a token here.
    limiter: DefaultDirectRateLimiter,
    /// Background calls (resyncs) also take one here: they get at most this share of the rate,
    /// so calls of new and changed objects always find tokens left.
    background: DefaultDirectRateLimiter,
    recorder: Arc<dyn CallRecorder>,
}

/// The share of each service's rate that background work may use.
pub const BACKGROUND_SHARE: f64 = 0.8;

tokio::task_local! {
    static BACKGROUND: bool;
}

/// Runs `work` as background work (a resync): its AWS calls use at most [`BACKGROUND_SHARE`] of
/// each service's rate, leaving the rest to urgent work however busy resyncs keep the limiter.
pub async fn in_background<F: std::future::Future>(work: F) -> F::Output {
    BACKGROUND.scope(true, work).await
}

/// Whether the current task runs background work (a resync).
pub fn is_background() -> bool {
    BACKGROUND.try_with(|b| *b).unwrap_or(false)
}

fn limiter(rate: Rate) -> DefaultDirectRateLimiter {
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(Duration::from_secs_f64(1.0 / rate.per_second))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    DefaultDirectRateLimiter::direct(quota)
}

async fn take(limiter: &DefaultDirectRateLimiter, layer: &Layer) {
    if limiter.check().is_err() {
        let started = Instant::now();
        limiter.until_ready().await;
        layer.recorder.rate_limit_wait(layer.service, &layer.region, started.elapsed());
    }
}

impl Transport {
    pub(crate) fn new(
        inner: SharedHttpClient,
        service: &'static str,
        region: &str,
        rate: Rate,
        recorder: Arc<dyn CallRecorder>,
    ) -> Self {
        let background = Rate {
            per_second: rate.per_second * BACKGROUND_SHARE,
            burst: ((f64::from(rate.burst) * BACKGROUND_SHARE) as u32).max(1),
        };
        let layer = Layer {
            service,
            region: region.to_string(),
            limiter: limiter(rate),
            background: limiter(background),
            recorder,
        };
        Transport { inner, layer: Arc::new(layer) }
    }
}

impl HttpClient for Transport {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector {
            inner: self.inner.http_connector(settings, components),
            layer: self.layer.clone(),
        })
    }
}

#[derive(Debug)]
struct Connector {
    inner: SharedHttpConnector,
    layer: Arc<Layer>,
}

impl HttpConnector for Connector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let layer = self.layer.clone();
        HttpConnectorFuture::new(async move {
            if is_background() {
                take(&layer.background, &layer).await;
            }
            take(&layer.limiter, &layer).await;
            let fault = request.headers_mut().remove(FAULT_HEADER);
            if let Some(ms) = request.headers_mut().remove(DELAY_HEADER).and_then(|ms| ms.parse().ok()) {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            match fault {
                Some(code) => Ok(injected_error(Protocol::of(layer.service), &code)),
                None => inner.call(request).await,
            }
        })
    }
}

fn injected_error(protocol: Protocol, code: &str) -> HttpResponse {
    let (content_type, body) = error_body(protocol, code, "injected by stackwright fault injection");
    let status = StatusCode::try_from(status_for(code)).expect("AWS error statuses are valid HTTP statuses");
    let mut response = HttpResponse::new(status, SdkBody::from(body));
    response.headers_mut().insert("content-type", content_type);
    if protocol == Protocol::Json {
        response.headers_mut().insert("x-amzn-errortype", code.to_string());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn background_work_is_known_as_such_inside_its_scope_only() {
        assert!(!is_background());
        assert!(in_background(async { is_background() }).await);
        assert!(!is_background());
    }

    #[test]
    fn background_work_gets_a_share_of_the_burst() {
        // A burst of 10: background work may take 8 at once, urgent work the rest.
        let background = limiter(Rate { per_second: 0.001, burst: 8 });
        let all = limiter(Rate { per_second: 0.001, burst: 10 });
        let mut taken = 0;
        while background.check().is_ok() && all.check().is_ok() {
            taken += 1;
        }
        assert_eq!(taken, 8);
        assert!(all.check().is_ok() && all.check().is_ok() && all.check().is_err(), "two left for urgent work");
    }

    #[test]
    fn overrides_and_defaults() {
        let limits = RateLimits::parse("ec2=5:25, s3=200").expect("valid");
        assert_eq!(limits.rate("ec2"), Rate { per_second: 5.0, burst: 25 });
        assert_eq!(limits.rate("s3"), Rate { per_second: 200.0, burst: 200 });
        assert_eq!(limits.rate("ecs"), Rate { per_second: 20.0, burst: 50 });
        assert_eq!(limits.rate("somethingnew"), Rate { per_second: 10.0, burst: 20 });
    }

    #[test]
    fn bad_limits_say_what_is_expected() {
        for text in ["ec2", "ec2=fast", "ec2=0", "ec2=5:0", "ec2=5:x"] {
            let err = RateLimits::parse(text).expect_err(text);
            assert!(err.contains("rate limit"), "{text}: {err}");
        }
    }

    #[test]
    fn injected_json_errors_carry_the_type_header() {
        let r = injected_error(Protocol::Json, "ThrottlingException");
        assert_eq!(r.status().as_u16(), 400);
        assert_eq!(r.headers().get("x-amzn-errortype"), Some("ThrottlingException"));
        let r = injected_error(Protocol::RestXml, "SlowDown");
        assert_eq!(r.status().as_u16(), 503);
    }
}
