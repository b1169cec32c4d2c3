//! The Cache kind (ElastiCache Redis/Valkey). Built so far: `desired` (pure: spec → the
//! resources it asks for). Not built yet: observe, plan, apply, assess and the driver; placement
//! and admission rules are shared with Database (`crate::placement`).

pub mod desired;
