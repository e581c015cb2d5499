//! The wall clock, read one way everywhere: milliseconds since the UNIX epoch, as the
//! `i64` that stored records (`received_ms`, `failed_ms`, join times) use.

/// Milliseconds since the UNIX epoch (0 if the system clock is set before 1970).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::now_ms;

    #[test]
    fn now_is_after_2020_and_does_not_go_back() {
        let first = now_ms();
        // 2020-01-01T00:00:00Z: a clock reading before it means the helper is broken.
        assert!(first > 1_577_836_800_000, "{first}");
        assert!(now_ms() >= first);
    }
}
