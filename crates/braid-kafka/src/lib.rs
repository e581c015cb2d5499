//! The ingest log on a Kafka topic, spoken only through the Kafka protocol (rdkafka), so
//! it runs on Apache Kafka, Redpanda, MSK or any compatible broker.
//!
//! - [`KafkaLog`] is the [`braid_core::IngestLog`] of ingest nodes: every accepted batch
//!   is produced keyed by [`partition_key`] (one user, one partition, so per-user order
//!   holds), with an idempotent producer and `acks=all`; `append` returns only after the
//!   brokers acknowledged every record.
//! - [`LogConsumer`] is how pipeline workers read it: a consumer group member that, on
//!   every assignment, starts each partition right after the offset PostgreSQL says is
//!   applied.
//! - A log position is a partition and an offset in one `u64` ([`position_of`],
//!   [`partition_offset`]).

mod codec;
mod config;
mod consumer;
mod key;
mod producer;

pub use config::KafkaOptions;
pub use consumer::{AppliedOffset, Consumed, LogConsumer};
pub use key::partition_key;
pub use producer::KafkaLog;

/// Bits of a position that hold the offset; the partition (plus one) sits above them.
const OFFSET_BITS: u32 = 40;
const OFFSET_MASK: u64 = (1 << OFFSET_BITS) - 1;
/// Highest partition a position can name and stay below `1 << 62`.
pub const MAX_PARTITION: i32 = (1 << (62 - OFFSET_BITS)) - 2;
/// Highest offset a position can hold.
pub const MAX_OFFSET: i64 = OFFSET_MASK as i64;

/// The log position of `offset` in `partition`: `((partition + 1) << 40) | offset`.
/// Positions order by partition, then offset, and are never 0 (0 means "nothing").
/// `partition` must be in `0..=MAX_PARTITION` and `offset` in `0..=MAX_OFFSET`; the
/// producer and consumer check that before calling it.
pub fn position_of(partition: i32, offset: i64) -> u64 {
    debug_assert!(
        (0..=MAX_PARTITION).contains(&partition),
        "partition {partition}"
    );
    debug_assert!((0..=MAX_OFFSET).contains(&offset), "offset {offset}");
    ((partition as u64 + 1) << OFFSET_BITS) | (offset as u64 & OFFSET_MASK)
}

/// The partition and offset of a position made by [`position_of`]. Positions below
/// `1 << 40` (no partition) come back with partition `-1`.
pub fn partition_offset(position: u64) -> (i32, i64) {
    let partition = (position >> OFFSET_BITS) as i64 - 1;
    (partition as i32, (position & OFFSET_MASK) as i64)
}

/// Whether Kafka's `partition`/`offset` fit in a position.
fn fits_position(partition: i32, offset: i64) -> bool {
    (0..=MAX_PARTITION).contains(&partition) && (0..=MAX_OFFSET).contains(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_order_by_partition_then_offset() {
        for (p, o) in [(0, 0), (0, 1), (7, 123_456), (MAX_PARTITION, MAX_OFFSET)] {
            assert_eq!(partition_offset(position_of(p, o)), (p, o));
            assert!(position_of(p, o) < 1 << 62);
            assert!(position_of(p, o) > 0);
        }
        assert!(position_of(0, MAX_OFFSET) < position_of(1, 0));
        assert!(position_of(3, 5) < position_of(3, 6));
        assert_eq!(partition_offset(0), (-1, 0));
        assert!(fits_position(0, 0));
        assert!(!fits_position(-1, 0));
        assert!(!fits_position(0, MAX_OFFSET + 1));
    }
}
