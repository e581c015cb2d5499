//! Value conversions shared by the attribute, event and commerce mappings: ISO-8601
//! times, type detection, and the oversize rule for strings and arrays.

use super::MappingCounters;
use crate::settings::OversizeRule;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{Number, Value};

/// Braze keeps time values with a year in 0…=3000; others are stored as strings.
pub const MAX_TIME_YEAR: i32 = 3000;

/// Milliseconds since the epoch as Braze's ISO-8601 UTC form
/// (`2024-05-01T12:00:00.000Z`). Out-of-range values fall back to `fallback_ms`.
pub fn iso_time(ms: i64, fallback_ms: i64) -> String {
    if let Some(text) = format_millis_utc(ms) {
        return text;
    }
    let dt = DateTime::<Utc>::from_timestamp_millis(ms)
        .or_else(|| DateTime::<Utc>::from_timestamp_millis(fallback_ms))
        .unwrap_or_default();
    format_millis_utc(dt.timestamp_millis())
        .unwrap_or_else(|| dt.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// `ms` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, written digit by digit (every event carries a
/// time, and the general formatter costs more than the rest of the event); `None` for
/// years outside 0…=9999, whose form the general formatter decides.
fn format_millis_utc(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    let ms_of_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00.000Z";
    let fields = [
        (year, 0, 4),
        (month, 5, 2),
        (day, 8, 2),
        (ms_of_day / 3_600_000, 11, 2),
        (ms_of_day / 60_000 % 60, 14, 2),
        (ms_of_day / 1000 % 60, 17, 2),
        (ms_of_day % 1000, 20, 3),
    ];
    for (value, start, width) in fields {
        let mut rest = value;
        for slot in text[start..start + width].iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    String::from_utf8(text.to_vec()).ok()
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The calendar year of `ms` (UTC).
pub fn year_of(ms: i64) -> i32 {
    use chrono::Datelike;
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .year()
}

/// Type detection: a string that looks like a boolean, an integer, a decimal or a
/// date becomes that type. The rules, chosen to never lose information:
/// - `true` / `false` in any letter case → boolean;
/// - an optional `-` and digits without a leading zero (so ZIP codes and ids such as
///   `007` stay strings), within 64-bit range → integer;
/// - the same with a `.` and at least one digit after it → decimal (finite only);
/// - an RFC 3339 date-time, a date-time without zone (taken as UTC), or `YYYY-MM-DD`
///   → ISO-8601 UTC time string, which Braze stores as a time. A year outside
///   0…=3000 is left exactly as sent: Braze would store it as a string anyway.
///
/// Anything else stays the string it was.
pub fn detect_type(s: &str) -> Value {
    match detect_converted(s) {
        Some(Detected::Bool(b)) => Value::Bool(b),
        Some(Detected::Number(n)) => Value::Number(n),
        Some(Detected::Time(t)) => Value::String(t),
        None => Value::String(s.to_string()),
    }
}

/// What type detection turns a string into, when it changes it.
pub(crate) enum Detected {
    Bool(bool),
    Number(Number),
    /// A date or date-time, as an ISO-8601 UTC time string.
    Time(String),
}

/// [`detect_type`] without copying a string that stays as it is: `None` means "send
/// the string as sent".
pub(crate) fn detect_converted(s: &str) -> Option<Detected> {
    if s.eq_ignore_ascii_case("true") {
        return Some(Detected::Bool(true));
    }
    if s.eq_ignore_ascii_case("false") {
        return Some(Detected::Bool(false));
    }
    if let Some(n) = detect_number(s) {
        return Some(Detected::Number(n));
    }
    detect_time(s).map(Detected::Time)
}

fn detect_number(s: &str) -> Option<Number> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if int.len() > 1 && int.starts_with('0') {
        return None;
    }
    match frac {
        None => s.parse::<i64>().ok().map(Number::from),
        Some(f) => {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse::<f64>().ok().and_then(Number::from_f64)
        }
    }
}

/// Parse a date or date-time string; `Some` only when its year is within 0…=3000.
pub fn detect_time(s: &str) -> Option<String> {
    use chrono::Datelike;
    // Quick reject: every accepted form starts with a 4-digit year and a dash.
    let b = s.as_bytes();
    if b.len() < 10 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let dt: DateTime<Utc> = if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        dt.with_timezone(&Utc)
    } else if let Ok(naive) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        Utc.from_utc_datetime(&naive)
    } else if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?)
    } else {
        return None;
    };
    if !(0..=MAX_TIME_YEAR).contains(&dt.year()) {
        return None;
    }
    Some(dt.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Parse a date for `dob`: `YYYY-MM-DD`, or a date-time whose date part is taken.
pub fn parse_dob(s: &str) -> Option<String> {
    let s = s.trim();
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.date_naive()))
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|d| d.date())
        })?;
    use chrono::Datelike;
    if !(0..=MAX_TIME_YEAR).contains(&date.year()) {
        return None;
    }
    Some(date.format("%Y-%m-%d").to_string())
}

/// Apply the oversize rule to a string: `Some` string to send, or `None` to drop it.
pub fn fit_string(
    s: &str,
    max_chars: usize,
    rule: OversizeRule,
    counters: &mut MappingCounters,
) -> Option<String> {
    // Byte length bounds the character count, so most strings skip the char walk.
    if s.len() <= max_chars || s.chars().count() <= max_chars {
        return Some(s.to_string());
    }
    match rule {
        OversizeRule::Truncate => {
            counters.truncated_strings += 1;
            Some(s.chars().take(max_chars).collect())
        }
        OversizeRule::Drop => {
            counters.dropped_oversize_values += 1;
            None
        }
    }
}

/// [`fit_string`] for a string already owned: kept without a copy when it fits.
pub(crate) fn fit_owned(
    s: String,
    max_chars: usize,
    rule: OversizeRule,
    counters: &mut MappingCounters,
) -> Option<String> {
    if s.len() <= max_chars {
        return Some(s);
    }
    fit_string(&s, max_chars, rule, counters)
}

/// A string value after type detection (when `detect` is on) and the oversize rule.
pub(crate) fn detected_or_fitted(
    s: &str,
    detect: bool,
    max_chars: usize,
    rule: OversizeRule,
    counters: &mut MappingCounters,
) -> Option<Value> {
    match detect.then(|| detect_converted(s)).flatten() {
        Some(Detected::Bool(b)) => Some(Value::Bool(b)),
        Some(Detected::Number(n)) => Some(Value::Number(n)),
        Some(Detected::Time(t)) => fit_owned(t, max_chars, rule, counters).map(Value::String),
        None => fit_string(s, max_chars, rule, counters).map(Value::String),
    }
}

/// Apply the oversize rule to an array of strings: entries are made unique (Braze keeps
/// array values unique), long entries follow the string rule, and an array longer than
/// `max_len` is cut to its first `max_len` values or dropped whole.
pub fn fit_array(
    items: &[String],
    max_chars: usize,
    max_len: usize,
    rule: OversizeRule,
    counters: &mut MappingCounters,
) -> Option<Vec<Value>> {
    let mut out: Vec<Value> = Vec::with_capacity(items.len().min(max_len));
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            continue;
        }
        if let Some(v) = fit_string(item, max_chars, rule, counters) {
            let v = Value::String(v);
            // Truncation can make two entries equal.
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    if out.len() > max_len {
        match rule {
            OversizeRule::Truncate => {
                counters.truncated_arrays += 1;
                out.truncate(max_len);
            }
            OversizeRule::Drop => {
                counters.dropped_oversize_values += 1;
                return None;
            }
        }
    }
    Some(out)
}

/// A JSON scalar as the string mParticle would show (numbers and booleans as text).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A finite f64 as a JSON number (non-finite values become 0).
pub fn number(x: f64) -> Value {
    Number::from_f64(x)
        .map(Value::Number)
        .unwrap_or_else(|| Value::Number(0.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(iso_time(1_700_000_000_123, 0), "2023-11-14T22:13:20.123Z");
        assert_eq!(iso_time(i64::MAX, 0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn times_written_directly_match_the_general_formatter() {
        let general = |ms: i64| {
            DateTime::<Utc>::from_timestamp_millis(ms)
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true)
        };
        let year_10000 = 253_402_300_800_000;
        for ms in [
            0,
            1,
            999,
            1_717_200_000_000,
            1_709_164_800_123,
            -1,
            -62_167_219_200_000,
            -62_167_219_200_001,
            year_10000 - 1,
            year_10000,
            951_782_400_000 - 1,
        ]
        .into_iter()
        .chain((0..2000).map(|i| i * 7_919_999_999_937 % year_10000))
        {
            assert_eq!(iso_time(ms, 0), general(ms), "{ms}");
        }
    }

    #[test]
    fn type_detection_converts_booleans_numbers_and_dates() {
        assert_eq!(detect_type("TRUE"), json!(true));
        assert_eq!(detect_type("false"), json!(false));
        assert_eq!(detect_type("42"), json!(42));
        assert_eq!(detect_type("-3.5"), json!(-3.5));
        assert_eq!(detect_type("2024-02-29"), json!("2024-02-29T00:00:00.000Z"));
        assert_eq!(
            detect_type("2024-02-29T10:00:00+02:00"),
            json!("2024-02-29T08:00:00.000Z")
        );
        assert_eq!(
            detect_type("2024-02-29T10:00:00"),
            json!("2024-02-29T10:00:00.000Z")
        );
    }

    #[test]
    fn type_detection_keeps_strings_that_would_lose_information() {
        for s in [
            "007",
            "01234",
            "1e5",
            "12abc",
            "",
            "-",
            "1.",
            ".5",
            "99999999999999999999",
            "yes",
            "2024-13-01",
        ] {
            assert_eq!(detect_type(s), json!(s), "{s}");
        }
    }

    #[test]
    fn dates_with_a_year_over_3000_stay_strings() {
        assert_eq!(detect_type("3001-01-01"), json!("3001-01-01"));
        assert_eq!(detect_type("3000-12-31"), json!("3000-12-31T00:00:00.000Z"));
    }

    #[test]
    fn oversize_strings_are_truncated_by_characters_and_counted() {
        let mut c = MappingCounters::default();
        let s = "é".repeat(300);
        let out = fit_string(&s, 255, OversizeRule::Truncate, &mut c).unwrap();
        assert_eq!(out.chars().count(), 255);
        assert_eq!(c.truncated_strings, 1);
        assert_eq!(fit_string(&s, 255, OversizeRule::Drop, &mut c), None);
        assert_eq!(c.dropped_oversize_values, 1);
        assert_eq!(
            fit_string(&"é".repeat(255), 255, OversizeRule::Drop, &mut c)
                .unwrap()
                .chars()
                .count(),
            255
        );
    }

    #[test]
    fn arrays_are_deduplicated_and_cut_to_the_maximum() {
        let mut c = MappingCounters::default();
        let items: Vec<String> = (0..30)
            .map(|i| format!("v{i}"))
            .chain(["v0".to_string()])
            .collect();
        let out = fit_array(&items, 255, 25, OversizeRule::Truncate, &mut c).unwrap();
        assert_eq!(out.len(), 25);
        assert_eq!(out[0], json!("v0"));
        assert_eq!(out[24], json!("v24"));
        assert_eq!(c.truncated_arrays, 1);
        assert_eq!(fit_array(&items, 255, 25, OversizeRule::Drop, &mut c), None);
        let dup = vec!["a".to_string(), "a".to_string()];
        assert_eq!(
            fit_array(&dup, 255, 25, OversizeRule::Drop, &mut c).unwrap(),
            vec![json!("a")]
        );
    }

    #[test]
    fn dob_accepts_dates_and_date_times() {
        assert_eq!(parse_dob("1990-05-17").as_deref(), Some("1990-05-17"));
        assert_eq!(
            parse_dob("1990-05-17T23:00:00Z").as_deref(),
            Some("1990-05-17")
        );
        assert_eq!(parse_dob("17/05/1990"), None);
    }
}
