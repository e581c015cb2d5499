//! Matching primitives shared by every criterion: case-insensitive string comparison,
//! `*`/`?` patterns, reading numbers and dates out of loosely typed attribute values.
//!
//! mParticle sends most values as strings, so every test here accepts a number written as
//! a string and a date written as ISO-8601 or as UNIX time.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use std::borrow::Cow;

/// Milliseconds in one day; windows are counted in whole 24-hour days.
pub const DAY_MS: i64 = 86_400_000;

/// Lowercase `s`, borrowing when it is already lowercase (the common case for ids and
/// names sent by SDKs), so comparisons on the hot path rarely allocate.
pub fn lower(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` equals the already-lowercased `lc`, ignoring case.
pub fn eq_ci(s: &str, lc: &str) -> bool {
    if s.is_ascii() && lc.is_ascii() {
        s.eq_ignore_ascii_case(lc)
    } else {
        lower(s) == lc
    }
}

/// `s` contains the already-lowercased `lc`, ignoring case.
pub fn contains_ci(s: &str, lc: &str) -> bool {
    lower(s).contains(lc)
}

/// A compiled `*` / `?` pattern over lowercased characters. `*` matches any run of
/// characters (also none), `?` exactly one; everything else matches itself, ignoring case.
/// The pattern must match the whole value, as mParticle's pattern operator does.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Vec<char>);

impl Pattern {
    /// Compile a pattern; matching ignores case.
    pub fn new(pattern: &str) -> Self {
        Pattern(pattern.to_lowercase().chars().collect())
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        let text: Vec<char> = lower(s).chars().collect();
        let pat = &self.0;
        // Iterative wildcard matching with one backtrack point: linear in practice and
        // never exponential, unlike the naive recursive form.
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pat.len() && (pat[p] == '?' || pat[p] == text[t]) {
                p += 1;
                t += 1;
            } else if p < pat.len() && pat[p] == '*' {
                star = Some((p, t));
                p += 1;
            } else if let Some((sp, st)) = star {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            } else {
                return false;
            }
        }
        pat[p..].iter().all(|&c| c == '*')
    }
}

/// A number written as a string (`" 12.5 "`), or `None`.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// UNIX time as sent by clients: values below 10^11 are seconds (10^11 seconds is the year
/// 5138), larger ones milliseconds.
pub fn unix_to_ms(n: f64) -> Option<i64> {
    if !n.is_finite() {
        return None;
    }
    let ms = if n.abs() < 1e11 { n * 1000.0 } else { n };
    if ms.abs() > 8.64e15 {
        return None;
    }
    Some(ms.round() as i64)
}

/// How a date text was written: a calendar day (`2024-03-01`) or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateText {
    /// A whole UTC day, given as the instant of its midnight.
    Day(i64),
    /// An exact instant (UNIX milliseconds).
    Instant(i64),
}

impl DateText {
    /// The instant (midnight UTC for a day).
    pub fn instant(self) -> i64 {
        match self {
            DateText::Day(ms) | DateText::Instant(ms) => ms,
        }
    }
}

/// Parse a date: RFC 3339 (`2024-03-01T12:00:00Z`, with any offset), a timestamp without
/// an offset (read as UTC, `T` or space separated), a bare day `2024-03-01` (UTC), or UNIX
/// time in seconds or milliseconds.
pub fn parse_date(s: &str) -> Option<DateText> {
    let t = s.trim();
    if let Some(n) = parse_number(t) {
        return unix_to_ms(n).map(DateText::Instant);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(DateText::Instant(dt.timestamp_millis()));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(DateText::Instant(dt.and_utc().timestamp_millis()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(DateText::Day(
            d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_star_matches_any_run_including_none() {
        let p = Pattern::new("ibiza*");
        assert!(p.matches("Ibiza"));
        assert!(p.matches("IBIZA town"));
        assert!(!p.matches("to ibiza"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("a*b*c").matches("aXXbYYc"));
        assert!(!Pattern::new("a*b*c").matches("aXXbYY"));
    }

    #[test]
    fn pattern_question_mark_matches_exactly_one_character() {
        let p = Pattern::new("gr?y");
        assert!(p.matches("grey"));
        assert!(p.matches("GRAY"));
        assert!(!p.matches("gry"));
        assert!(!p.matches("greey"));
        assert!(Pattern::new("é?").matches("ÉA"));
    }

    #[test]
    fn pattern_without_wildcards_is_whole_value_equality() {
        assert!(Pattern::new("Paris").matches("paris"));
        assert!(!Pattern::new("Paris").matches("paris, france"));
    }

    #[test]
    fn case_insensitive_helpers_handle_non_ascii() {
        assert!(eq_ci("ÜBER", "über"));
        assert!(contains_ci("Grüße AUS Köln", "aus köln"));
        assert!(!eq_ci("uber", "über"));
    }

    #[test]
    fn numbers_in_strings_are_read_and_garbage_is_not() {
        assert_eq!(parse_number(" 12.5 "), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn dates_parse_in_every_documented_form_as_utc() {
        let day = 1_709_251_200_000; // 2024-03-01T00:00:00Z
        assert_eq!(parse_date("2024-03-01"), Some(DateText::Day(day)));
        assert_eq!(
            parse_date("2024-03-01T00:00:00Z"),
            Some(DateText::Instant(day))
        );
        assert_eq!(
            parse_date("2024-03-01T01:00:00+01:00"),
            Some(DateText::Instant(day))
        );
        assert_eq!(
            parse_date("2024-03-01 00:00:01"),
            Some(DateText::Instant(day + 1000))
        );
        assert_eq!(parse_date("1709251200"), Some(DateText::Instant(day)));
        assert_eq!(parse_date("1709251200000"), Some(DateText::Instant(day)));
        assert_eq!(parse_date("yesterday"), None);
    }
}
