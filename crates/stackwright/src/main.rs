//! `stackwright`: run the controller, or print the CRDs it serves.

use clap::{Parser, Subcommand};
use stackwright_controller::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(name = "stackwright", version, about = "Run a company's AWS application platform from Kubernetes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the controller: watch Stackwright objects and converge AWS toward them.
    Run {
        #[command(flatten)]
        config: stackwright_controller::Config,
        /// Log format.
        #[arg(long, env = "STACKWRIGHT_LOG_FORMAT", value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Print the CustomResourceDefinitions as YAML (what `crds/` holds).
    Crds,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crds => {
            print!("{}", stackwright_api::crds_yaml()?);
            Ok(())
        }
        Command::Run { config, log_format } => {
            telemetry::init(log_format);
            let client = kube::Client::try_default().await?;
            let mut running = stackwright_controller::start(config, client).await?;
            tokio::select! {
                () = shutdown_signal() => {
                    tracing::info!("shutting down: finishing in-flight reconciles");
                    running.stop().await;
                }
                () = running.wait() => {}
            }
            Ok(())
        }
    }
}

/// SIGTERM (what Kubernetes sends) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
