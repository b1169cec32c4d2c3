//! Estimated fixed monthly cost of what an object owns, from a built-in price table.
//!
//! Only charges that accrue whether or not the resource is used are counted (instance hours,
//! provisioned storage, load balancer hours). Usage-based charges are left out.
//!
//! A month is [`HOURS_PER_MONTH`] hours, AWS's own convention. Sums are done in whole
//! ten-thousandths of a dollar (every list price has at most four decimals) and rounded half up
//! to cents once, at the end, so an estimate does not depend on floating-point accident.
//!
//! A region, DB instance class, storage type, cache node type or engine that is not in the table
//! gives `None`: the status then leaves the estimate out rather than report a wrong figure.
//!
//! # Where the figures come from
//!
//! AWS on-demand list prices in US dollars: RDS for PostgreSQL (no licence) and ElastiCache
//! node-based clusters. AWS's pricing pages render their tables with JavaScript, so the figures
//! were taken, wherever one could be found, from stored public copies of rows of the AWS Price
//! List (the machine-readable feed the pricing pages show); all sources were read on 2026-11-23.
//! Each figure in the table carries one of these tags:
//!
//! - `[euw2-offer]`: a row of the AWS Price List bulk offer file for eu-west-2, AmazonRDS version
//!   20260904172716 (published 2026-09-04) or AmazonElastiCache version 20260903183902
//!   (published 2026-09-03), as kept verbatim (SKU, price description, price) in the test data of
//!   the public repository mooncitizen/togen (`internal/cost/cmd/testdata/*-eu-west-2.csv`).
//! - `[euw2-2026-10-06]`: the eu-west-2 AmazonRDS offer file published 2026-10-06, as quoted
//!   (price and usage type) in a public cost study.
//! - `[use1-2026-07-28]`: the us-east-1 AmazonRDS bulk offer file of 2026-07-28, rows quoted as
//!   JSON in a public pricing study.
//! - `[use1-2026-09-24]`: a us-east-1 Price List API re-check recorded on 2026-09-24 in a public
//!   runbook.
//! - `[use1-2026-10-02]`: the us-east-1 AmazonElastiCache Price List (Redis OSS and Valkey node
//!   rows, read 2026-10-02), tabulated in full in a public pricing service.
//! - `[use1-list]`: a single us-east-1 Price List row or API answer quoted elsewhere: db.t3.micro
//!   $0.018 (API answer of 2026-03-22, offer version 20260318225923); db.t3.small Multi-AZ
//!   $0.072; db.t3.large $0.145 and gp2 $0.115 / $0.23 Multi-AZ (infracost's golden test output,
//!   $105.85 for 730 hours, $2.30 for 20 GB, $6.90 for 30 GB Multi-AZ); db.m5.large from
//!   "$1.424 per RDS db.m5.4xlarge Single-AZ instance hour running PostgreSQL" divided by 8. The
//!   publication dates of the last three are not known.
//! - `[third-party]`: no Price List row found; the figure several 2026 pricing articles and tables
//!   agree on (db.t3.medium, db.t4g.small/medium/large, db.m7g.large in us-east-1, and the
//!   us-east-1 t4g Multi-AZ rates). db.m7g.large is close to the Price List's db.m7g.xlarge
//!   ($0.337) halved.
//! - `[derived]`: no source found; computed by one of the rules below, so an estimate of the
//!   list price rather than a reading of it:
//!   - a Multi-AZ rate is twice the Single-AZ one. The Price List shows this holds exactly for
//!     most classes (db.m6g.large 0.159 / 0.318), but a few are a tenth of a cent above double
//!     (eu-west-2 db.t4g.medium 0.072 / 0.145, db.r6g.large 0.264 / 0.529);
//!   - a us-east-1 Single-AZ rate missing beside a known Multi-AZ one is half of it;
//!   - an eu-west-2 rate is the us-east-1 rate times the eu-west-2 / us-east-1 ratio of a
//!     verified class of the same kind, rounded to three decimals: RDS t3 classes by db.t3.micro
//!     (0.021 / 0.018), t4g by db.t4g.medium (0.072 / 0.065), m and r classes by db.r6g.large
//!     (0.264 / 0.225); cache burstable nodes by cache.t4g.micro (0.018 / 0.016), m and r nodes
//!     by cache.r7g.large (0.256 / 0.219).
//!
//! Valkey is not in the table: AWS prices node-based Valkey 20% below the other engines ("20%
//! lower price on ElastiCache node-based as compared to other supported engines", the
//! ElastiCache pricing page), and every Valkey row in the sources above is exactly 0.8 times the
//! Redis OSS row of the same node type and region (us-east-1 cache.t3.micro 0.0136 against
//! 0.017, eu-west-2 cache.t4g.micro 0.0144 against 0.018), so [`cache`] applies that factor.

/// Publication date of the AWS Price List offer files that are the table's main source (the
/// eu-west-2 AmazonRDS file; its ElastiCache sibling is of 2026-09-03). Figures from Price List
/// reads on other dates (2026-03-22 to 2026-10-06) are tagged in the module documentation.
pub const PRICES_AS_OF: &str = "2026-09-04";

/// Hours in a month, AWS's convention for monthly figures.
pub const HOURS_PER_MONTH: i64 = 730;

/// JSONPath of the estimate in every kind's status: what a `Cost` printer column (type string)
/// for `kubectl get` would show. The CRDs are not changed here; a kind that wants the column adds
/// `printcolumn(name = "Cost", type_ = "string", json_path = ".status.estimatedMonthlyCostUSD")`
/// beside its other columns.
pub const STATUS_JSON_PATH: &str = ".status.estimatedMonthlyCostUSD";

/// S3 has no fixed charge for a bucket: storage, requests and transfer are all usage-based.
pub fn bucket() -> String {
    usd(0.0)
}

/// Formats dollars the way status reports them: a string with two decimals.
pub fn usd(amount: f64) -> String {
    format!("{amount:.2}")
}

/// Monthly cost of an RDS for PostgreSQL instance: instance hours of `class` plus `storage_gib` of
/// `storage_type` (`gp3` or `gp2`; allocated GiB are billed as GB-months) in `region`, both at the
/// Multi-AZ rates (which cover the standby too) with `multi_az`.
///
/// Backup storage is free up to the provisioned storage; only what automated backups and
/// snapshots hold beyond that is charged, and that depends on how much the data changes within
/// the retention period, which the spec does not say. It is estimated as zero, so for a database
/// with long retention and much churn the figure is a floor. Provisioned IOPS and throughput
/// above gp3's included baseline are not counted either.
///
/// `None` when the region, class or storage type is not in the table (io1 and io2 are not: their
/// cost is mostly provisioned IOPS), or when `storage_gib` is negative.
pub fn database(region: &str, class: &str, storage_gib: i32, storage_type: &str, multi_az: bool) -> Option<String> {
    const BACKUP_GIB_BEYOND_FREE: i64 = 0;
    database_units(region, class, storage_gib, storage_type, multi_az, BACKUP_GIB_BEYOND_FREE).map(dollars)
}

/// Monthly cost of an ElastiCache cluster of `nodes` nodes (the primary and its replicas) of
/// `node_type` running `engine` (`redis` or `valkey`) in `region`. `None` when the region, node
/// type or engine is not in the table.
pub fn cache(region: &str, engine: &str, node_type: &str, nodes: u32) -> Option<String> {
    let redis = units(prices(region)?.cache_node(node_type)?.redis);
    let hourly = match engine {
        "redis" => redis,
        // Exact: every Redis OSS price has at most three decimals (checked by a test).
        "valkey" => redis * 8 / 10,
        _ => return None,
    };
    Some(dollars(hourly * HOURS_PER_MONTH * i64::from(nodes)))
}

/// The database estimate in ten-thousandths of a dollar, with the backup storage beyond the free
/// allowance given.
fn database_units(
    region: &str,
    class: &str,
    storage_gib: i32,
    storage_type: &str,
    multi_az: bool,
    backup_gib_beyond_free: i64,
) -> Option<i64> {
    if storage_gib < 0 {
        return None;
    }
    let prices = prices(region)?;
    let instance = prices.rds_instance(class)?;
    let storage = prices.rds_storage(storage_type)?;
    let (hourly, gb_month) =
        if multi_az { (instance.multi_az, storage.multi_az) } else { (instance.single_az, storage.single_az) };
    Some(
        units(hourly) * HOURS_PER_MONTH
            + units(gb_month) * i64::from(storage_gib)
            + units(prices.rds_backup_gb_month) * backup_gib_beyond_free,
    )
}

/// A list price in ten-thousandths of a dollar (list prices have at most four decimals).
fn units(price: f64) -> i64 {
    (price * 10_000.0).round() as i64
}

/// Ten-thousandths of a dollar as status shows dollars, rounded half up to cents.
fn dollars(units: i64) -> String {
    let cents = (units + 50).div_euclid(100);
    format!("{}.{:02}", cents.div_euclid(100), cents.rem_euclid(100))
}

fn prices(region: &str) -> Option<&'static RegionPrices> {
    REGIONS.iter().find(|r| r.region == region)
}

/// On-demand prices of one region.
struct RegionPrices {
    region: &'static str,
    /// RDS for PostgreSQL DB instance classes.
    rds_instances: &'static [InstanceRate],
    /// RDS storage types.
    rds_storage: &'static [StorageRate],
    /// Backup storage beyond the free allowance, dollars per GB-month.
    rds_backup_gb_month: f64,
    /// ElastiCache node types.
    cache_nodes: &'static [NodeRate],
}

impl RegionPrices {
    fn rds_instance(&self, class: &str) -> Option<&InstanceRate> {
        self.rds_instances.iter().find(|i| i.class == class)
    }

    fn rds_storage(&self, storage_type: &str) -> Option<&StorageRate> {
        self.rds_storage.iter().find(|s| s.storage_type == storage_type)
    }

    fn cache_node(&self, node_type: &str) -> Option<&NodeRate> {
        self.cache_nodes.iter().find(|n| n.node_type == node_type)
    }
}

/// Dollars per hour of one DB instance class running PostgreSQL. The Multi-AZ rate covers the
/// primary and its standby.
struct InstanceRate {
    class: &'static str,
    single_az: f64,
    multi_az: f64,
}

/// Dollars per GB-month of provisioned storage; the Multi-AZ rate covers both copies.
struct StorageRate {
    storage_type: &'static str,
    single_az: f64,
    multi_az: f64,
}

/// Dollars per hour of one node running Redis OSS.
struct NodeRate {
    node_type: &'static str,
    redis: f64,
}

const fn db(class: &'static str, single_az: f64, multi_az: f64) -> InstanceRate {
    InstanceRate { class, single_az, multi_az }
}

const fn storage(storage_type: &'static str, single_az: f64, multi_az: f64) -> StorageRate {
    StorageRate { storage_type, single_az, multi_az }
}

const fn node(node_type: &'static str, redis: f64) -> NodeRate {
    NodeRate { node_type, redis }
}

/// The table. Tags say where each figure comes from (see the module documentation); a row with
/// two tags has them for its Single-AZ and Multi-AZ figures in that order.
#[allow(clippy::approx_constant, reason = "list prices, not constants: db.m6g.large Multi-AZ is $0.318")]
const REGIONS: &[RegionPrices] = &[
    RegionPrices {
        region: "us-east-1",
        rds_instances: &[
            db("db.t3.micro", 0.018, 0.036),   // [use1-list] [derived]
            db("db.t3.small", 0.036, 0.072),   // [derived] [use1-list]
            db("db.t3.medium", 0.072, 0.144),  // [third-party] [derived]
            db("db.t3.large", 0.145, 0.290),   // [use1-list] [derived]
            db("db.t4g.micro", 0.016, 0.032),  // [use1-2026-09-24] [third-party]
            db("db.t4g.small", 0.032, 0.064),  // [third-party]
            db("db.t4g.medium", 0.065, 0.130), // [third-party]
            db("db.t4g.large", 0.129, 0.258),  // [third-party] [derived]
            db("db.m5.large", 0.178, 0.356),   // [use1-list] [derived]
            db("db.m6g.large", 0.159, 0.318),  // [use1-2026-07-28]
            db("db.m7g.large", 0.168, 0.336),  // [third-party] [derived]
            db("db.r6g.large", 0.225, 0.450),  // [use1-2026-07-28] [derived]
        ],
        rds_storage: &[
            storage("gp3", 0.115, 0.230), // [use1-2026-07-28]
            storage("gp2", 0.115, 0.230), // [use1-list]
        ],
        rds_backup_gb_month: 0.095, // [use1-2026-07-28], again [use1-2026-09-24]
        // [use1-2026-10-02], every row.
        cache_nodes: &[
            node("cache.t3.micro", 0.017),
            node("cache.t3.small", 0.034),
            node("cache.t3.medium", 0.068),
            node("cache.t4g.micro", 0.016),
            node("cache.t4g.small", 0.032),
            node("cache.t4g.medium", 0.065),
            node("cache.m6g.large", 0.149),
            node("cache.r6g.large", 0.206),
            node("cache.r7g.large", 0.219),
        ],
    },
    RegionPrices {
        region: "eu-west-2",
        rds_instances: &[
            db("db.t3.micro", 0.021, 0.042),   // [euw2-offer] [derived]
            db("db.t3.small", 0.042, 0.084),   // [derived]
            db("db.t3.medium", 0.084, 0.168),  // [derived]
            db("db.t3.large", 0.169, 0.338),   // [derived]
            db("db.t4g.micro", 0.018, 0.036),  // [euw2-offer]
            db("db.t4g.small", 0.036, 0.072),  // [euw2-2026-10-06] [derived]
            db("db.t4g.medium", 0.072, 0.145), // [euw2-offer]
            db("db.t4g.large", 0.143, 0.286),  // [derived]
            db("db.m5.large", 0.209, 0.418),   // [derived]
            db("db.m6g.large", 0.187, 0.374),  // [derived]
            db("db.m7g.large", 0.197, 0.394),  // [derived]
            db("db.r6g.large", 0.264, 0.529),  // [euw2-offer]
        ],
        rds_storage: &[
            storage("gp3", 0.133, 0.266), // [euw2-offer] [derived]
            storage("gp2", 0.133, 0.266), // [euw2-offer]
        ],
        rds_backup_gb_month: 0.10, // [euw2-2026-10-06]
        cache_nodes: &[
            node("cache.t3.micro", 0.019),   // [derived]
            node("cache.t3.small", 0.038),   // [derived]
            node("cache.t3.medium", 0.077),  // [derived]
            node("cache.t4g.micro", 0.018),  // [euw2-offer]
            node("cache.t4g.small", 0.036),  // [derived]
            node("cache.t4g.medium", 0.072), // [euw2-offer]
            node("cache.m6g.large", 0.174),  // [derived]
            node("cache.r6g.large", 0.241),  // [derived]
            node("cache.r7g.large", 0.256),  // [euw2-offer]
        ],
    },
];

/// Fargate, load balancer and log storage prices of one region, in hundred-millionths of a
/// dollar (Fargate memory prices have six decimals).
struct StackPrices {
    region: &'static str,
    /// Linux x86: per vCPU-hour and per GB-hour.
    x86: (i64, i64),
    /// Linux ARM (Graviton).
    arm: (i64, i64),
    /// Application Load Balancer hour (LCU usage is not counted).
    alb_hour: i64,
    /// CloudWatch Logs storage, per GB-month.
    log_gb_month: i64,
    /// NAT gateway hour (data processed is not counted), of a network the stack owns.
    nat_hour: i64,
}

/// A public IPv4 address (each NAT gateway's elastic IP), per hour, in every region.
const PUBLIC_IPV4_HOUR: i64 = 500_000;

/// us-east-1: the Fargate rates every 2026 source quotes from the AWS pricing page ($0.04048 per
/// vCPU-hour and $0.004445 per GB-hour on x86, $0.03238 and $0.00356 on ARM), ALB $0.0225 per
/// hour, logs $0.03 per GB-month, NAT gateway $0.045 per hour. eu-west-2: `[third-party]` Fargate
/// $0.04656 / $0.00511 (x86), $0.03725 / $0.00409 (ARM), ALB $0.02646 per hour, logs $0.0315 per
/// GB-month, NAT gateway $0.05 per hour. A public IPv4 address is $0.005 per hour everywhere.
const STACK_PRICES: &[StackPrices] = &[
    StackPrices {
        region: "us-east-1",
        x86: (4_048_000, 444_500),
        arm: (3_238_000, 356_000),
        alb_hour: 2_250_000,
        log_gb_month: 3_000_000,
        nat_hour: 4_500_000,
    },
    StackPrices {
        region: "eu-west-2",
        x86: (4_656_000, 511_000),
        arm: (3_725_000, 409_000),
        alb_hour: 2_646_000,
        log_gb_month: 3_150_000,
        nat_hour: 5_000_000,
    },
];

/// Fargate Spot is priced by market; AWS advertises "up to 70%" off. Estimated as 30% of the
/// on-demand rate (`[derived]`), so a Spot figure is a floor.
const SPOT_PERCENT_OF_ON_DEMAND: i64 = 30;
/// Log volume is not in the spec: each service is counted with this many GB stored (a nominal
/// small service), so the line shows up rather than being silently zero.
const LOG_GB_PER_SERVICE: i64 = 1;

/// Monthly cost of an AppStack: Fargate vCPU and GB hours of each service's tasks (its replicas,
/// or its autoscaling minimum) by architecture and capacity, the load balancer's hours when it
/// has one, the log storage of each service, and the NAT gateways of a network it owns with
/// their public addresses. `None` for a region not in the table.
pub fn stack(want: &crate::appstack::desired::DesiredStack) -> Option<String> {
    let p = STACK_PRICES.iter().find(|p| p.region == want.region)?;
    let mut total: i64 = 0;
    for s in &want.services {
        let (vcpu, gb) = match s.spec.cpu_architecture {
            stackwright_api::appstack::CpuArchitecture::X86_64 => p.x86,
            stackwright_api::appstack::CpuArchitecture::Arm64 => p.arm,
        };
        // Per task-hour: vCPU = cpu/1024, GB = memory/1024.
        let mut hourly = (vcpu * i64::from(s.spec.cpu) + gb * i64::from(s.spec.memory)) / 1024;
        if s.spec.capacity == stackwright_api::appstack::Capacity::Spot {
            hourly = hourly * SPOT_PERCENT_OF_ON_DEMAND / 100;
        }
        total += hourly * HOURS_PER_MONTH * i64::from(s.initial_count) + p.log_gb_month * LOG_GB_PER_SERVICE;
    }
    if want.load_balancer.is_some() {
        total += p.alb_hour * HOURS_PER_MONTH;
    }
    if let Some(network) = &want.network {
        let nats = i64::try_from(network.nat_gateways).unwrap_or_default();
        total += (p.nat_hour + PUBLIC_IPV4_HOUR) * HOURS_PER_MONTH * nats;
    }
    // Hundred-millionths to ten-thousandths, rounded half up.
    Some(dollars((total + 5_000) / 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate of an example's AppStack, and the same computed here in floating point from
    /// the published rates: Fargate vCPU and GB hours of each service's tasks, the load balancer,
    /// a GB of logs per service.
    fn stack_estimate(manifest: &str) -> (Option<String>, String) {
        let doc: serde_yaml::Value = serde_yaml::from_str(manifest).expect("manifest");
        let spec: stackwright_api::appstack::AppStackSpec = serde_yaml::from_value(doc["spec"].clone()).expect("spec");
        let id = stackwright_api::naming::ObjectIdentity {
            cluster_id: "c".into(),
            kind: "AppStack".into(),
            namespace: "n".into(),
            name: "s".into(),
            uid: "u".into(),
        };
        let want = crate::appstack::desired::desired(&spec, &id, "us-east-1");
        let (x86, arm, alb, logs, nat) = match want.region.as_str() {
            "us-east-1" => ((0.04048, 0.004445), (0.03238, 0.00356), 0.0225, 0.03, 0.045),
            _ => ((0.04656, 0.00511), (0.03725, 0.00409), 0.02646, 0.0315, 0.05),
        };
        let mut total = 0.0;
        for s in &want.services {
            let (v, g) =
                if s.spec.cpu_architecture == stackwright_api::appstack::CpuArchitecture::Arm64 { arm } else { x86 };
            let spot = if s.spec.capacity == stackwright_api::appstack::Capacity::Spot { 0.3 } else { 1.0 };
            let hourly = (v * f64::from(s.spec.cpu) + g * f64::from(s.spec.memory)) / 1024.0 * spot;
            total += hourly * 730.0 * f64::from(s.initial_count) + logs;
        }
        if want.load_balancer.is_some() {
            total += alb * 730.0;
        }
        if let Some(n) = &want.network {
            total += (nat + 0.005) * 730.0 * f64::from(u32::try_from(n.nat_gateways).unwrap_or(0));
        }
        (stack(&want), format!("{total:.2}"))
    }

    #[test]
    fn every_system_stack_is_priced_from_fargate_hours_the_load_balancer_logs_and_nat_gateways() {
        let systems = [
            ("accunode", include_str!("../../../examples/accunode/appstack.yaml"), "71.01"),
            ("paperwurks dev", include_str!("../../../examples/paperwurks/dev/appstack.yaml"), ""),
            ("paperwurks staging", include_str!("../../../examples/paperwurks/staging/appstack.yaml"), ""),
            ("paperwurks prod", include_str!("../../../examples/paperwurks/prod/appstack.yaml"), ""),
            ("mcmillan", include_str!("../../../examples/mcmillan/appstack.yaml"), ""),
            ("ai-chat", include_str!("../../../examples/ai-chat/appstack.yaml"), ""),
            ("ai-force", include_str!("../../../examples/ai-force/appstack.yaml"), ""),
        ];
        for (name, manifest, exact) in systems {
            let (estimate, expected) = stack_estimate(manifest);
            let estimate = estimate.unwrap_or_else(|| panic!("{name}: a region in the table"));
            assert_eq!(estimate, expected, "{name}");
            if !exact.is_empty() {
                // By hand: 2 × (0.25 × 0.04048 + 0.5 × 0.004445) × 730 + 0.0225 × 730 + 2 × 0.03
                // + (0.045 + 0.005) × 730 for its one NAT gateway and address.
                assert_eq!(estimate, exact, "{name}");
            }
        }
    }

    #[test]
    fn formats_two_decimals() {
        assert_eq!(super::usd(58.2), "58.20");
        assert_eq!(super::bucket(), "0.00");
    }

    #[test]
    fn rounds_half_up_to_cents_once() {
        assert_eq!(dollars(0), "0.00");
        assert_eq!(dollars(49), "0.00");
        assert_eq!(dollars(50), "0.01");
        assert_eq!(dollars(105_120), "10.51");
        assert_eq!(dollars(1_492_400), "149.24");
    }

    // AccuNode (us-east-1): RDS PostgreSQL db.t3.small, 20 GB gp3, single-AZ.
    // 0.036 $/h * 730 h = 26.28; 20 GB * 0.115 $/GB-month = 2.30; 26.28 + 2.30 = 28.58.
    #[test]
    fn accunode_database() {
        assert_eq!(database("us-east-1", "db.t3.small", 20, "gp3", false).as_deref(), Some("28.58"));
    }

    // AccuNode (us-east-1): ElastiCache Redis cache.t3.micro, one node (no replicas).
    // 0.017 $/h * 730 h * 1 node = 12.41.
    #[test]
    fn accunode_cache() {
        assert_eq!(cache("us-east-1", "redis", "cache.t3.micro", 1).as_deref(), Some("12.41"));
    }

    // Paperwurks dev (eu-west-2): db.t3.small, 20 GB gp3, single-AZ.
    // 0.042 $/h * 730 h = 30.66; 20 GB * 0.133 $/GB-month = 2.66; 30.66 + 2.66 = 33.32.
    #[test]
    fn paperwurks_dev_database() {
        assert_eq!(database("eu-west-2", "db.t3.small", 20, "gp3", false).as_deref(), Some("33.32"));
    }

    // Paperwurks staging (eu-west-2) is sized like dev in its manifests: the same 33.32.
    #[test]
    fn paperwurks_staging_database() {
        assert_eq!(database("eu-west-2", "db.t3.small", 20, "gp3", false).as_deref(), Some("33.32"));
    }

    // Paperwurks prod (eu-west-2): db.t3.medium, 100 GB gp3, Multi-AZ.
    // 0.168 $/h (Multi-AZ) * 730 h = 122.64; 100 GB * 0.266 $/GB-month (Multi-AZ) = 26.60;
    // 122.64 + 26.60 = 149.24. 30-day backups add nothing: nothing beyond the free allowance is
    // assumed.
    #[test]
    fn paperwurks_prod_database() {
        assert_eq!(database("eu-west-2", "db.t3.medium", 100, "gp3", true).as_deref(), Some("149.24"));
    }

    // McMillan (no region given; the examples assume the default, us-east-1): db.t3.micro, 20 GB
    // gp3, single-AZ. 0.018 $/h * 730 h = 13.14; 20 GB * 0.115 = 2.30; 13.14 + 2.30 = 15.44.
    #[test]
    fn mcmillan_database() {
        assert_eq!(database("us-east-1", "db.t3.micro", 20, "gp3", false).as_deref(), Some("15.44"));
    }

    // AI Force (us-east-1 by default): db.t3.small, 20 GB gp3, single-AZ.
    // 0.036 * 730 = 26.28; 20 * 0.115 = 2.30; 26.28 + 2.30 = 28.58.
    #[test]
    fn ai_force_database() {
        assert_eq!(database("us-east-1", "db.t3.small", 20, "gp3", false).as_deref(), Some("28.58"));
    }

    // AI Force (us-east-1 by default): Redis cache.t3.micro with one replica, so two nodes.
    // 0.017 $/h * 730 h * 2 nodes = 24.82.
    #[test]
    fn ai_force_cache() {
        assert_eq!(cache("us-east-1", "redis", "cache.t3.micro", 2).as_deref(), Some("24.82"));
    }

    // The AI chat server has no database or cache of the kinds priced here (MongoDB and Qdrant
    // run as containers), so it has no test of its own.

    #[test]
    fn multi_az_doubles_the_instance_price() {
        // db.m6g.large, us-east-1: 0.159 * 730 = 116.07 single-AZ; 0.318 * 730 = 232.14 Multi-AZ.
        assert_eq!(database("us-east-1", "db.m6g.large", 0, "gp3", false).as_deref(), Some("116.07"));
        assert_eq!(database("us-east-1", "db.m6g.large", 0, "gp3", true).as_deref(), Some("232.14"));
        // Storage doubles too: 100 GB gp3 is 11.50 single-AZ and 23.00 Multi-AZ on top.
        assert_eq!(database("us-east-1", "db.m6g.large", 100, "gp3", false).as_deref(), Some("127.57"));
        assert_eq!(database("us-east-1", "db.m6g.large", 100, "gp3", true).as_deref(), Some("255.14"));
    }

    #[test]
    fn valkey_is_a_fifth_cheaper_than_redis() {
        // eu-west-2 cache.t4g.micro: Redis OSS 0.018 * 730 = 13.14; Valkey 0.0144 * 730 = 10.512.
        assert_eq!(cache("eu-west-2", "redis", "cache.t4g.micro", 1).as_deref(), Some("13.14"));
        assert_eq!(cache("eu-west-2", "valkey", "cache.t4g.micro", 1).as_deref(), Some("10.51"));
        // us-east-1 cache.r7g.large, three nodes: Valkey 0.1752 * 730 * 3 = 383.688.
        assert_eq!(cache("us-east-1", "valkey", "cache.r7g.large", 3).as_deref(), Some("383.69"));
    }

    #[test]
    fn backup_beyond_the_free_allowance_is_priced_when_known() {
        // 50 GB beyond the free allowance in us-east-1: 50 * 0.095 = 4.75 on top of 15.44.
        let units = database_units("us-east-1", "db.t3.micro", 20, "gp3", false, 50);
        assert_eq!(units.map(dollars).as_deref(), Some("20.19"));
    }

    #[test]
    fn unknown_region_class_type_or_engine_gives_none() {
        assert_eq!(database("ap-southeast-7", "db.t3.small", 20, "gp3", false), None);
        assert_eq!(database("us-east-1", "db.x2iedn.32xlarge", 20, "gp3", false), None);
        assert_eq!(database("us-east-1", "db.t3.small", 100, "io1", false), None);
        assert_eq!(database("us-east-1", "db.t3.small", -1, "gp3", false), None);
        assert_eq!(cache("ap-southeast-7", "redis", "cache.t3.micro", 1), None);
        assert_eq!(cache("eu-west-2", "redis", "cache.x2gd.large", 1), None);
        assert_eq!(cache("us-east-1", "memcached", "cache.t3.micro", 1), None);
    }

    #[test]
    fn every_required_class_is_priced_in_both_regions() {
        let classes = [
            "db.t3.micro",
            "db.t3.small",
            "db.t3.medium",
            "db.t3.large",
            "db.t4g.micro",
            "db.t4g.small",
            "db.t4g.medium",
            "db.t4g.large",
            "db.m5.large",
            "db.m6g.large",
            "db.m7g.large",
            "db.r6g.large",
        ];
        let nodes = [
            "cache.t3.micro",
            "cache.t3.small",
            "cache.t3.medium",
            "cache.t4g.micro",
            "cache.t4g.small",
            "cache.t4g.medium",
            "cache.m6g.large",
            "cache.r6g.large",
            "cache.r7g.large",
        ];
        for region in ["us-east-1", "eu-west-2"] {
            for class in classes {
                for storage_type in ["gp3", "gp2"] {
                    for multi_az in [false, true] {
                        assert!(
                            database(region, class, 20, storage_type, multi_az).is_some(),
                            "{region} {class} {storage_type} multi_az={multi_az}"
                        );
                    }
                }
            }
            for node_type in nodes {
                for engine in ["redis", "valkey"] {
                    assert!(cache(region, engine, node_type, 1).is_some(), "{region} {engine} {node_type}");
                }
            }
        }
    }

    #[test]
    fn the_table_is_consistent() {
        for region in REGIONS {
            assert_eq!(REGIONS.iter().filter(|r| r.region == region.region).count(), 1);
            for i in region.rds_instances {
                assert!(
                    units(i.single_az) > 0 && units(i.multi_az) >= 2 * units(i.single_az),
                    "{} {}",
                    region.region,
                    i.class
                );
                assert_eq!(region.rds_instances.iter().filter(|o| o.class == i.class).count(), 1);
            }
            for s in region.rds_storage {
                assert!(
                    units(s.single_az) > 0 && units(s.multi_az) >= 2 * units(s.single_az),
                    "{} {}",
                    region.region,
                    s.storage_type
                );
            }
            assert!(units(region.rds_backup_gb_month) > 0);
            for n in region.cache_nodes {
                assert!(units(n.redis) > 0, "{} {}", region.region, n.node_type);
                assert_eq!(region.cache_nodes.iter().filter(|o| o.node_type == n.node_type).count(), 1);
                // Valkey at 0.8 of Redis OSS is exact in ten-thousandths of a dollar.
                assert_eq!(units(n.redis) * 8 % 10, 0, "{} {}", region.region, n.node_type);
            }
        }
    }

    #[test]
    fn the_status_path_names_the_status_field() {
        let status =
            stackwright_api::CommonStatus { estimated_monthly_cost_usd: Some("1.00".into()), ..Default::default() };
        let json = serde_json::json!({ "status": status });
        let field = STATUS_JSON_PATH.trim_start_matches(".status.");
        assert_eq!(json["status"][field], "1.00");
    }
}
