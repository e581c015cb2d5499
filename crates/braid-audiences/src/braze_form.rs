//! Audience membership as Braze custom attributes, in the forms of mParticle's
//! "Send Segments As" setting, within Braze's limits.
//!
//! | form | attribute |
//! |---|---|
//! | `string` | `SegmentMembership` = comma-separated audience ids (`"11036,13052"`) |
//! | `array` | `SegmentMembershipArray` = list of audience ids as strings |
//! | `per_segment` | `In <external_name or name>` = `true` on entry, `false` on exit |
//!
//! The setting is written as a list of those forms, or as mParticle's label for one of the
//! seven choices (case-insensitive):
//! ```toml
//! send_segments_as = ["array", "per_segment"]
//! send_segments_as = "Both single array attribute and one attribute per segment"
//! ```
//!
//! **Overflow rule.** Braze silently cuts strings at 255 characters and arrays at the
//! workspace maximum (25 by default). braid never sends a value Braze would cut: it keeps
//! the most recently joined audiences (ties: higher id first) — the longest run, newest
//! first, that fits — and lists the kept ids in ascending order, so the value only changes
//! when membership does. The ids left out are reported per form ([`OverflowReport`]) for
//! the caller to count and log per audience.
//!
//! String and array values are the whole current membership; the delta step against what
//! Braze already has drops them when unchanged.

use crate::definition::Audience;
use crate::eval::{AudienceSet, MembershipDelta};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The single-string attribute.
pub const SEGMENT_MEMBERSHIP: &str = "SegmentMembership";
/// The single-array attribute.
pub const SEGMENT_MEMBERSHIP_ARRAY: &str = "SegmentMembershipArray";

/// The per-segment attribute name for a segment name: `In <name>`.
pub fn per_segment_attribute(segment_name: &str) -> String {
    format!("In {segment_name}")
}

/// Which forms membership is sent in. Serialises as a list of form names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendSegmentsAs {
    /// `SegmentMembership`.
    pub string: bool,
    /// `SegmentMembershipArray`.
    pub array: bool,
    /// `In <name>`.
    pub per_segment: bool,
}

impl Default for SendSegmentsAs {
    /// mParticle's default: the single string.
    fn default() -> Self {
        SendSegmentsAs::STRING
    }
}

impl SendSegmentsAs {
    /// Single string attribute.
    pub const STRING: SendSegmentsAs = SendSegmentsAs::new(true, false, false);
    /// Single array attribute.
    pub const ARRAY: SendSegmentsAs = SendSegmentsAs::new(false, true, false);
    /// One attribute per segment.
    pub const PER_SEGMENT: SendSegmentsAs = SendSegmentsAs::new(false, false, true);

    /// The seven choices, in mParticle's order.
    pub const ALL: [SendSegmentsAs; 7] = [
        SendSegmentsAs::new(true, false, false),
        SendSegmentsAs::new(false, true, false),
        SendSegmentsAs::new(false, false, true),
        SendSegmentsAs::new(true, true, false),
        SendSegmentsAs::new(false, true, true),
        SendSegmentsAs::new(true, false, true),
        SendSegmentsAs::new(true, true, true),
    ];

    /// A form from its three switches.
    pub const fn new(string: bool, array: bool, per_segment: bool) -> Self {
        SendSegmentsAs {
            string,
            array,
            per_segment,
        }
    }

    /// mParticle's label for this choice (empty choice: `none`).
    pub fn label(self) -> &'static str {
        match (self.string, self.array, self.per_segment) {
            (true, false, false) => "Single string attribute",
            (false, true, false) => "Single array attribute",
            (false, false, true) => "One attribute per segment",
            (true, true, false) => "Both single array attribute and single string attribute",
            (false, true, true) => "Both single array attribute and one attribute per segment",
            (true, false, true) => "Both single string attribute and one attribute per segment",
            (true, true, true) => {
                "Single array attribute, single string attribute, and one attribute per segment"
            }
            (false, false, false) => "none",
        }
    }

    /// The form names, as serialised: a subset of `string`, `array`, `per_segment`.
    pub fn names(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.string {
            out.push("string");
        }
        if self.array {
            out.push("array");
        }
        if self.per_segment {
            out.push("per_segment");
        }
        out
    }
}

impl fmt::Display for SendSegmentsAs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for SendSegmentsAs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

impl<'de> Deserialize<'de> for SendSegmentsAs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            List(Vec<String>),
            Label(String),
        }
        let form = match Raw::deserialize(d)? {
            Raw::List(items) => {
                let mut f = SendSegmentsAs::new(false, false, false);
                for item in items {
                    match item.to_lowercase().as_str() {
                        "string" => f.string = true,
                        "array" => f.array = true,
                        "per_segment" => f.per_segment = true,
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown segment form \"{other}\", expected string, array or per_segment"
                            )))
                        }
                    }
                }
                f
            }
            Raw::Label(label) => {
                let wanted = label.trim().to_lowercase();
                let single = match wanted.as_str() {
                    "string" => Some(SendSegmentsAs::STRING),
                    "array" => Some(SendSegmentsAs::ARRAY),
                    "per_segment" => Some(SendSegmentsAs::PER_SEGMENT),
                    _ => None,
                };
                match single.or_else(|| {
                    SendSegmentsAs::ALL
                        .into_iter()
                        .find(|f| f.label().to_lowercase() == wanted)
                }) {
                    Some(f) => f,
                    None => {
                        return Err(de::Error::custom(format!(
                            "unknown send_segments_as \"{label}\", expected a list of string, array, per_segment or one of mParticle's seven labels"
                        )))
                    }
                }
            }
        };
        if !(form.string || form.array || form.per_segment) {
            return Err(de::Error::custom(
                "send_segments_as needs at least one form",
            ));
        }
        Ok(form)
    }
}

/// Braze's limits on the membership values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormLimits {
    /// Longest `SegmentMembership` string (Braze: 255).
    pub max_string_chars: usize,
    /// Longest `SegmentMembershipArray` (Braze default: 25; raisable per workspace).
    pub max_array_len: usize,
}

impl Default for FormLimits {
    fn default() -> Self {
        FormLimits {
            max_string_chars: 255,
            max_array_len: 25,
        }
    }
}

/// A user's current memberships with the time each was joined (UNIX ms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memberships {
    pub ids_with_join_time: Vec<(u64, i64)>,
}

/// Audience ids left out of a value to respect the limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverflowReport {
    /// Left out of `SegmentMembership`.
    pub string_dropped: Vec<u64>,
    /// Left out of `SegmentMembershipArray`.
    pub array_dropped: Vec<u64>,
    /// Changed audiences with no known name: no `In <name>` written.
    pub unnamed: Vec<u64>,
}

impl OverflowReport {
    /// Nothing was left out.
    pub fn is_empty(&self) -> bool {
        self.string_dropped.is_empty() && self.array_dropped.is_empty() && self.unnamed.is_empty()
    }

    /// Every audience id left out of some form.
    pub fn dropped_ids(&self) -> BTreeSet<u64> {
        self.string_dropped
            .iter()
            .chain(&self.array_dropped)
            .copied()
            .collect()
    }
}

/// Where segment names come from.
pub trait SegmentNames {
    /// The name Braze sees for audience `id` (`external_name` or `name`).
    fn segment_name(&self, id: u64) -> Option<&str>;
}

impl SegmentNames for AudienceSet {
    fn segment_name(&self, id: u64) -> Option<&str> {
        self.get(id).map(Audience::segment_name)
    }
}

impl SegmentNames for BTreeMap<u64, String> {
    fn segment_name(&self, id: u64) -> Option<&str> {
        self.get(&id).map(String::as_str)
    }
}

impl SegmentNames for [Audience] {
    fn segment_name(&self, id: u64) -> Option<&str> {
        self.iter().find(|a| a.id == id).map(Audience::segment_name)
    }
}

/// Ids ordered newest joined first (ties: higher id first), without duplicates.
fn by_recency(m: &Memberships) -> Vec<u64> {
    let mut v = m.ids_with_join_time.clone();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    let mut seen = BTreeSet::new();
    v.into_iter()
        .map(|(id, _)| id)
        .filter(|id| seen.insert(*id))
        .collect()
}

/// The `SegmentMembership` value and the ids left out.
pub fn membership_string(m: &Memberships, max_chars: usize) -> (String, Vec<u64>) {
    let ordered = by_recency(m);
    let mut len = 0usize;
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for id in ordered {
        let add = id.to_string().len() + usize::from(!kept.is_empty());
        // Strict prefix: once one newer audience does not fit, no older one may take its
        // place, or the rule "keep the most recent" would not hold.
        if dropped.is_empty() && len + add <= max_chars {
            len += add;
            kept.push(id);
        } else {
            dropped.push(id);
        }
    }
    kept.sort_unstable();
    dropped.sort_unstable();
    let text = kept
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    (text, dropped)
}

/// The `SegmentMembershipArray` value and the ids left out.
pub fn membership_array(m: &Memberships, max_len: usize) -> (Vec<String>, Vec<u64>) {
    let ordered = by_recency(m);
    let cut = ordered.len().min(max_len);
    let mut kept = ordered[..cut].to_vec();
    let mut dropped = ordered[cut..].to_vec();
    kept.sort_unstable();
    dropped.sort_unstable();
    (kept.iter().map(u64::to_string).collect(), dropped)
}

/// The Braze attributes for a membership change. `memberships` is the user's membership
/// after the change (audiences still synced: active and inactive); `changes` is what this
/// evaluation entered and left. An empty delta writes nothing. String and array forms
/// carry the whole current value; per-segment attributes are written only for the
/// audiences that changed.
pub fn membership_attributes<N: SegmentNames + ?Sized>(
    form: SendSegmentsAs,
    memberships: &Memberships,
    changes: &MembershipDelta,
    names: &N,
    limits: FormLimits,
) -> (Map<String, Value>, OverflowReport) {
    let mut attrs = Map::new();
    let mut report = OverflowReport::default();
    if changes.is_empty() {
        return (attrs, report);
    }
    if form.string {
        let (text, dropped) = membership_string(memberships, limits.max_string_chars);
        attrs.insert(SEGMENT_MEMBERSHIP.into(), Value::String(text));
        report.string_dropped = dropped;
    }
    if form.array {
        let (items, dropped) = membership_array(memberships, limits.max_array_len);
        attrs.insert(
            SEGMENT_MEMBERSHIP_ARRAY.into(),
            Value::Array(items.into_iter().map(Value::String).collect()),
        );
        report.array_dropped = dropped;
    }
    if form.per_segment {
        let flagged = changes
            .entered
            .iter()
            .map(|id| (*id, true))
            .chain(changes.left.iter().map(|id| (*id, false)));
        for (id, value) in flagged {
            match names.segment_name(id) {
                Some(name) => {
                    attrs.insert(per_segment_attribute(name), Value::Bool(value));
                }
                None => report.unnamed.push(id),
            }
        }
    }
    (attrs, report)
}

/// The attributes that remove `audience` from one member's Braze profile, for deletion or
/// deactivation with clean-up: `In <name>` = `false`, and string/array rewritten from the
/// user's `remaining` memberships (the audience's id is left out even if still listed).
pub fn cleanup_attributes(
    form: SendSegmentsAs,
    audience: &Audience,
    remaining: &Memberships,
    limits: FormLimits,
) -> (Map<String, Value>, OverflowReport) {
    let rest = Memberships {
        ids_with_join_time: remaining
            .ids_with_join_time
            .iter()
            .copied()
            .filter(|(id, _)| *id != audience.id)
            .collect(),
    };
    let left = MembershipDelta {
        entered: Vec::new(),
        left: vec![audience.id],
    };
    membership_attributes(form, &rest, &left, std::slice::from_ref(audience), limits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn send_segments_as_reads_lists_and_mparticle_labels() {
        let f: SendSegmentsAs = serde_json::from_value(json!(["array", "per_segment"])).unwrap();
        assert_eq!(f, SendSegmentsAs::new(false, true, true));
        let f: SendSegmentsAs = serde_json::from_value(json!(
            "both single array attribute and one attribute per segment"
        ))
        .unwrap();
        assert_eq!(f, SendSegmentsAs::new(false, true, true));
        let f: SendSegmentsAs = serde_json::from_value(json!("string")).unwrap();
        assert_eq!(f, SendSegmentsAs::STRING);
        for form in SendSegmentsAs::ALL {
            let by_label: SendSegmentsAs = serde_json::from_value(json!(form.label())).unwrap();
            assert_eq!(by_label, form);
            let back: SendSegmentsAs =
                serde_json::from_value(serde_json::to_value(form).unwrap()).unwrap();
            assert_eq!(back, form);
        }
        assert_eq!(
            serde_json::to_value(SendSegmentsAs::new(true, true, true)).unwrap(),
            json!(["string", "array", "per_segment"])
        );
    }

    #[test]
    fn send_segments_as_refuses_unknown_and_empty_forms() {
        let e = serde_json::from_value::<SendSegmentsAs>(json!(["strings"])).unwrap_err();
        assert!(
            e.to_string().contains("unknown segment form \"strings\""),
            "{e}"
        );
        let e = serde_json::from_value::<SendSegmentsAs>(json!([])).unwrap_err();
        assert!(e.to_string().contains("at least one form"), "{e}");
        assert!(serde_json::from_value::<SendSegmentsAs>(json!("single everything")).is_err());
    }

    #[test]
    fn the_seven_choices_are_distinct_and_non_empty() {
        let set: std::collections::HashSet<_> = SendSegmentsAs::ALL.into_iter().collect();
        assert_eq!(set.len(), 7);
        assert!(SendSegmentsAs::ALL
            .iter()
            .all(|f| f.string || f.array || f.per_segment));
    }
}
