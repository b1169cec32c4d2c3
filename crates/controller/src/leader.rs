//! Leader election through a `coordination.k8s.io` Lease (kube-lease-manager): one replica
//! reconciles, the others stand by and take over within the lease duration when it dies; a
//! replica that stops releases the lease so another takes over at once.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The Lease every replica of one controller competes for.
pub const LEASE_NAME: &str = "stackwright-controller";

/// One replica's candidacy.
#[derive(Debug)]
pub struct Election {
    leading: watch::Receiver<bool>,
    manager: JoinHandle<kube_lease_manager::Result<LeaseManager>>,
}

impl Election {
    /// Starts competing for the lease `LEASE_NAME` in `namespace` as `identity`.
    pub async fn enter(client: Client, namespace: &str, identity: &str, duration: Duration) -> anyhow::Result<Self> {
        let seconds = duration.as_secs().max(2);
        let manager = LeaseManagerBuilder::new(client, LEASE_NAME)
            .with_namespace(namespace)
            .with_identity(identity)
            .with_duration(seconds)
            // Renew a third of the way before expiry, so one slow renewal does not lose it.
            .with_grace((seconds / 3).max(1))
            .with_field_manager(format!("stackwright-leader-{identity}"))
            .build()
            .await
            .map_err(|e| anyhow::anyhow!("cannot use lease {namespace}/{LEASE_NAME}: {e}"))?;
        let (leading, manager) = manager.watch().await;
        Ok(Election { leading, manager })
    }

    /// Resolves once this replica leads; false if the election ended first.
    pub async fn won(&mut self) -> bool {
        self.leading.wait_for(|leading| *leading).await.is_ok()
    }

    /// Resolves when this replica stops leading (or the election ends).
    pub async fn lost(&mut self) {
        let _ = self.leading.wait_for(|leading| !*leading).await;
    }

    /// Leaves the election, releasing the lease if held, within `within`.
    pub async fn resign(self, within: Duration) {
        let Election { leading, manager } = self;
        // Closing the channel makes the manager release the lease and end.
        drop(leading);
        match tokio::time::timeout(within, manager).await {
            Ok(Ok(Ok(_))) => tracing::info!("released the leader lease"),
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "could not release the leader lease; it expires by itself"),
            Ok(Err(e)) => tracing::warn!(error = %e, "leader election task failed"),
            Err(_) => tracing::warn!("releasing the leader lease took too long; it expires by itself"),
        }
    }
}
