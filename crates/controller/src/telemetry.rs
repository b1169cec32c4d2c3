//! Structured logging through tracing, as text for people or JSON for log pipelines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The AWS SDK logs whole requests and responses at TRACE: passwords and tokens in them (an
/// ElastiCache AUTH token, a secret's value) would reach the log. These targets never log below
/// DEBUG, whatever `RUST_LOG` says.
const NEVER_TRACE: &[&str] = &["aws_smithy_runtime", "aws_smithy_runtime_api", "aws_smithy_http_client", "aws_sigv4"];

/// The filter: `RUST_LOG` if set, else the default, with the AWS SDK's wire logging capped.
fn filter(from_env: Option<&str>) -> EnvFilter {
    let mut filter = from_env
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info,kube=warn,aws_config=warn,aws_smithy_runtime=warn"));
    for target in NEVER_TRACE {
        let already_quieter = filter.to_string().split(',').any(|d| {
            d.strip_prefix(target)
                .and_then(|rest| rest.strip_prefix('='))
                .is_some_and(|level| matches!(level, "off" | "error" | "warn" | "info" | "debug"))
        });
        if !already_quieter && let Ok(directive) = format!("{target}=debug").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init(format: LogFormat) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref());
    // Colours only for a person at a terminal, never into files or log pipelines.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(std::io::stdout().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::filter;

    #[test]
    fn the_sdk_never_logs_requests_whatever_rust_log_says() {
        let f = filter(Some("trace")).to_string();
        assert!(f.contains("aws_smithy_runtime=debug"), "{f}");
        assert!(f.contains("aws_sigv4=debug"), "{f}");
        let f = filter(Some("info,aws_smithy_runtime=trace")).to_string();
        assert!(f.contains("aws_smithy_runtime=debug") && !f.contains("aws_smithy_runtime=trace"), "{f}");
        let f = filter(None).to_string();
        assert!(f.contains("aws_smithy_runtime=warn") && !f.contains("aws_smithy_runtime=debug"), "{f}");
    }
}
