//! Listings shared by the resyncs of one sweep, so that steady-state reads grow with the number of
//! pages, not the number of objects: one DescribeDBInstances page answers for a hundred Databases.
//!
//! Only resyncs read from here. A new or changed object, work in flight and every cleanup read
//! each resource on its own, fresh. A listing is at most [`Listings::max_age`] old, which is less
//! than half a resync interval: an object settles at least half an interval before its resync
//! (see `schedule::spread`), so any listing a resync reads was taken after the object's last
//! write, and never shows it something older than what it last saw.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use stackwright_cloud::ec2::SecurityGroup;
use stackwright_cloud::elasticache::{ParameterGroup, ReplicationGroup, SubnetGroup};
use stackwright_cloud::rds::{DbInstance, DbParameterGroup, DbSubnetGroup};

/// The newest listing of one kind, per key (a region), fetched by one caller at a time: callers
/// that arrive while it is being fetched wait for it and share it.
pub struct Shared<T> {
    slots: Mutex<HashMap<String, Slot<T>>>,
}

type Slot<T> = Arc<tokio::sync::Mutex<Option<(Instant, Arc<T>)>>>;

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared { slots: Mutex::default() }
    }
}

impl<T> Shared<T> {
    /// The listing for `key` if it is younger than `max_age`, else a new one from `fetch`. A
    /// failed fetch is not kept: the next caller tries again.
    pub async fn get<E, F, Fut>(&self, key: &str, max_age: Duration, fetch: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(key.to_string()).or_default().clone()
        };
        let mut held = slot.lock().await;
        if let Some((taken, listing)) = held.as_ref()
            && taken.elapsed() < max_age
        {
            return Ok(listing.clone());
        }
        let started = Instant::now();
        let listing = Arc::new(fetch().await?);
        *held = Some((started, listing.clone()));
        Ok(listing)
    }
}

/// Every shared listing, per region.
#[derive(Debug)]
pub struct Listings {
    /// How old a listing may be when a resync reads it.
    pub max_age: Duration,
    pub db_instances: Shared<Vec<DbInstance>>,
    pub db_subnet_groups: Shared<Vec<DbSubnetGroup>>,
    pub db_parameter_groups: Shared<Vec<DbParameterGroup>>,
    /// The security groups carrying this controller's cluster tag.
    pub security_groups: Shared<Vec<SecurityGroup>>,
    pub replication_groups: Shared<Vec<ReplicationGroup>>,
    pub cache_subnet_groups: Shared<Vec<SubnetGroup>>,
    pub cache_parameter_groups: Shared<Vec<ParameterGroup>>,
}

impl Listings {
    /// Listings for resyncs every `resync_interval`: at most 30 s old, and less than a quarter of
    /// the interval.
    pub fn new(resync_interval: Duration) -> Self {
        Listings {
            max_age: (resync_interval / 4).min(Duration::from_secs(30)),
            db_instances: Shared::default(),
            db_subnet_groups: Shared::default(),
            db_parameter_groups: Shared::default(),
            security_groups: Shared::default(),
            replication_groups: Shared::default(),
            cache_subnet_groups: Shared::default(),
            cache_parameter_groups: Shared::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn concurrent_readers_share_one_fetch_until_it_is_too_old() {
        let shared: Shared<u32> = Shared::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<_, ()>(fetches.fetch_add(1, Ordering::SeqCst) + 1)
        };
        let age = Duration::from_secs(10);
        let (a, b) = tokio::join!(shared.get("us-east-1", age, fetch), shared.get("us-east-1", age, fetch));
        assert_eq!((*a.unwrap(), *b.unwrap()), (1, 1), "one fetch serves both");
        assert_eq!(*shared.get("eu-west-2", age, fetch).await.unwrap(), 2, "regions are listed apart");
        assert_eq!(*shared.get("us-east-1", age, fetch).await.unwrap(), 1);
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(*shared.get("us-east-1", age, fetch).await.unwrap(), 3, "too old: listed again");
    }

    #[tokio::test]
    async fn a_failed_fetch_is_not_kept() {
        let shared: Shared<u32> = Shared::default();
        let age = Duration::from_secs(10);
        assert_eq!(shared.get("r", age, || async { Err::<u32, _>("throttled") }).await, Err("throttled"));
        assert_eq!(*shared.get("r", age, || async { Ok::<_, &str>(7) }).await.unwrap(), 7);
    }

    #[test]
    fn listings_are_younger_than_a_quarter_interval_and_thirty_seconds() {
        assert_eq!(Listings::new(Duration::from_secs(600)).max_age, Duration::from_secs(30));
        assert_eq!(Listings::new(Duration::from_secs(20)).max_age, Duration::from_secs(5));
    }
}
