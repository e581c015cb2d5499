//! `braid audiences check`: before any sync, how many users would overflow the string and
//! array forms, and which audiences would be left out how often.

use crate::braze_form::{
    membership_array, membership_string, FormLimits, Memberships, SendSegmentsAs,
};
use crate::definition::AudienceState;
use crate::eval::AudienceSet;
use std::collections::BTreeMap;

/// What the overflow check found over a population of users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverflowCheck {
    /// Users looked at.
    pub users: u64,
    /// Users whose `SegmentMembership` would pass the string limit (and only that).
    pub string_only: u64,
    /// Users whose `SegmentMembershipArray` would pass the array limit (and only that).
    pub array_only: u64,
    /// Users overflowing both.
    pub both: u64,
    /// Per audience: users for whom it would be left out of the string.
    pub string_dropped_by_audience: BTreeMap<u64, u64>,
    /// Per audience: users for whom it would be left out of the array.
    pub array_dropped_by_audience: BTreeMap<u64, u64>,
}

impl OverflowCheck {
    /// Users that would overflow some part of `form` (per-segment never overflows).
    pub fn users_overflowing(&self, form: SendSegmentsAs) -> u64 {
        let mut n = 0;
        if form.string {
            n += self.string_only;
        }
        if form.array {
            n += self.array_only;
        }
        if form.string || form.array {
            n += self.both;
        }
        n
    }

    /// The count for each of the seven choices, in mParticle's order.
    pub fn by_form(&self) -> Vec<(SendSegmentsAs, u64)> {
        SendSegmentsAs::ALL
            .into_iter()
            .map(|f| (f, self.users_overflowing(f)))
            .collect()
    }
}

/// Check a population of membership lists against the limits. Memberships of audiences
/// that are deleted or unknown to `audiences` are ignored, as they would not be sent.
pub fn check_overflow<'a>(
    audiences: &AudienceSet,
    population: impl IntoIterator<Item = &'a Memberships>,
    limits: FormLimits,
) -> OverflowCheck {
    let mut out = OverflowCheck::default();
    for m in population {
        let synced = Memberships {
            ids_with_join_time: m
                .ids_with_join_time
                .iter()
                .copied()
                .filter(|(id, _)| {
                    audiences
                        .get(*id)
                        .is_some_and(|a| a.state != AudienceState::Deleted)
                })
                .collect(),
        };
        out.users += 1;
        let (_, s) = membership_string(&synced, limits.max_string_chars);
        let (_, a) = membership_array(&synced, limits.max_array_len);
        match (s.is_empty(), a.is_empty()) {
            (false, false) => out.both += 1,
            (false, true) => out.string_only += 1,
            (true, false) => out.array_only += 1,
            (true, true) => {}
        }
        for id in s {
            *out.string_dropped_by_audience.entry(id).or_default() += 1;
        }
        for id in a {
            *out.array_dropped_by_audience.entry(id).or_default() += 1;
        }
    }
    out
}
