//! `stackwright`: run the controller, or print the CRDs it serves.

use std::io::Write;
use std::process::ExitCode;

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
        config: Box<stackwright_controller::Config>,
        /// Log format.
        #[arg(long, env = "STACKWRIGHT_LOG_FORMAT", value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Print the CustomResourceDefinitions as YAML (what `crds/` holds).
    Crds,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Crds => print_crds(),
        Command::Run { config, log_format } => run(*config, log_format),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`stackwright crds | head`): nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "stackwright: {}", sentences(&e));
            ExitCode::FAILURE
        }
    }
}

fn print_crds() -> anyhow::Result<()> {
    let yaml = stackwright_api::crds_yaml().map_err(|e| anyhow::anyhow!("cannot render the CRDs: {e}"))?;
    let mut out = std::io::stdout().lock();
    out.write_all(yaml.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[tokio::main]
async fn run(config: stackwright_controller::Config, log_format: LogFormat) -> anyhow::Result<()> {
    telemetry::init(log_format);
    let client = kube::Client::try_default().await.map_err(|e| {
        anyhow::anyhow!("cannot find a Kubernetes cluster to connect to (KUBECONFIG or in-cluster): {e}")
    })?;
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

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

/// An error and its causes as one line of text: "what failed: why".
fn sentences(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        // Wrappers often repeat their cause's text; say each thing once.
        if !parts.last().is_some_and(|last| last.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
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
