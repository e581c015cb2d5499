//! The console's page frame and formatting: navigation, numbers with thousands
//! separators and units, UTC times, and the ledger chart as inline SVG (no script
//! needed to draw it).

use super::history::Sample;
use maud::{html, Markup, DOCTYPE};

/// The console's sections, in navigation order: (path, label).
pub const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/stream", "Live stream"),
    ("/users", "User look-up"),
    ("/audiences", "Audiences"),
    ("/dead-letters", "Dead letters"),
    ("/dsr", "Data subject requests"),
    ("/settings", "Settings"),
];

/// A whole page: `active` is the section's path; `csrf` is the session's token (absent
/// on the sign-in page).
pub fn page(title: &str, active: &str, csrf: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · braid" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/" { "braid" }
                    @if let Some(csrf) = csrf {
                        nav aria-label="Sections" {
                            ul {
                                @for (path, label) in NAV {
                                    li {
                                        @if *path == active {
                                            a href=(path) aria-current="page" { (label) }
                                        } @else {
                                            a href=(path) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        form class="logout" method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn int(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<String> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect();
    groups.join(",")
}

/// A signed integer with separators.
pub fn signed(n: i64) -> String {
    if n < 0 {
        format!("-{}", int(n.unsigned_abs()))
    } else {
        int(n as u64)
    }
}

/// A count with its unit, singular or plural: `1 batch`, `2,000 batches`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", int(n), if n == 1 { one } else { many })
}

/// A rate per second with one decimal and separators.
pub fn rate(per_second: f64) -> String {
    let tenths = (per_second * 10.0).round().max(0.0) as u64;
    format!("{}.{}", int(tenths / 10), tenths % 10)
}

/// UNIX ms as `2026-12-01 22:15:03 UTC`.
pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// A `<time>` element with a machine-readable value.
pub fn time_el(ms: i64) -> Markup {
    let iso = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    html! { time datetime=(iso) { (time(ms)) } }
}

/// Pretty JSON in a `<pre>`.
pub fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! { pre class="json" { (text) } }
}

/// A notice box: `kind` is `ok`, `warn` or `error`.
pub fn notice(kind: &str, text: &str) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { p class={"notice " (kind)} role=(role) { (text) } }
}

/// One kind of data point in the ledger chart.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Attributes,
    Events,
    Purchases,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Attributes, Kind::Events, Kind::Purchases];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Attributes => "attributes",
            Kind::Events => "events",
            Kind::Purchases => "purchases",
        }
    }

    fn of(self, points: braid_braze::billing::DataPoints) -> u64 {
        match self {
            Kind::Attributes => points.attributes,
            Kind::Events => points.events,
            Kind::Purchases => points.purchases,
        }
    }
}

const CHART_W: f64 = 560.0;
const CHART_H: f64 = 160.0;

/// The ledger chart of one kind: data points sent and saved since start, cumulative,
/// over the kept samples (the last one is "now").
pub fn ledger_chart(kind: Kind, samples: &[Sample]) -> Markup {
    let sent: Vec<u64> = samples.iter().map(|s| kind.of(s.ledger.queued)).collect();
    let saved: Vec<u64> = samples.iter().map(|s| kind.of(s.ledger.saved)).collect();
    let last_sent = sent.last().copied().unwrap_or(0);
    let last_saved = saved.last().copied().unwrap_or(0);
    let top = sent.iter().chain(&saved).copied().max().unwrap_or(0).max(1);
    let (first_ms, last_ms) = (
        samples.first().map(|s| s.at_ms).unwrap_or(0),
        samples.last().map(|s| s.at_ms).unwrap_or(0),
    );
    let span = (last_ms - first_ms).max(1) as f64;
    let points = |values: &[u64]| -> String {
        samples
            .iter()
            .zip(values)
            .map(|(s, v)| {
                let x = (s.at_ms - first_ms) as f64 / span * CHART_W;
                let y = CHART_H - (*v as f64 / top as f64) * (CHART_H - 10.0);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let total = last_sent + last_saved;
    let share = if total == 0 {
        0.0
    } else {
        last_saved as f64 / total as f64 * 100.0
    };
    let summary = format!(
        "{}: {} sent, {} saved by the delta step ({share:.1} % saved)",
        kind.label(),
        count(last_sent, "data point", "data points"),
        count(last_saved, "data point", "data points"),
    );
    let view_box = format!("0 0 {CHART_W} {CHART_H}");
    html! {
        figure class="chart" data-kind=(kind.label()) data-sent=(last_sent) data-saved=(last_saved) {
            figcaption { (summary) }
            svg viewBox=(view_box) role="img" aria-label=(summary) preserveAspectRatio="none" {
                line x1="0" y1=(CHART_H) x2=(CHART_W) y2=(CHART_H) class="axis" {}
                @if samples.len() > 1 {
                    polyline class="sent" points=(points(&sent)) {}
                    polyline class="saved" points=(points(&saved)) {}
                }
            }
            p class="legend" {
                span class="key sent" { "sent" } " " span class="key saved" { "saved" }
                " · " (int(top)) " at the top · "
                @if samples.len() > 1 { (time(first_ms)) " to " (time(last_ms)) } @else { "collecting samples" }
            }
        }
    }
}

/// A pager: links to the first page and the next one when there is more.
pub fn pager(base: &str, next_after: Option<u64>) -> Markup {
    html! {
        nav class="pager" aria-label="Pages" {
            a href=(base) { "First page" }
            @if let Some(after) = next_after {
                " "
                a href={(base) (if base.contains('?') { "&" } else { "?" }) "after=" (after)} rel="next" { "Next page" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators_and_units() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(signed(-12_345), "-12,345");
        assert_eq!(count(1, "batch", "batches"), "1 batch");
        assert_eq!(count(2_000, "batch", "batches"), "2,000 batches");
        assert_eq!(rate(1234.56), "1,234.6");
    }

    #[test]
    fn times_are_utc() {
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
    }
}
