//! Which Braze user a batch's objects name, and when an alias profile is merged.
//!
//! Order of choice: the configured external identity (`external_id`); else, with
//! `disable_external_id_constraint`, the email identity (Braze's `email` identifier);
//! else, with `forward_anonymous_as_alias`, an alias `{alias_name: <mpid>,
//! alias_label: "mpid"}`; else the batch is not forwarded (mParticle's rule).

use super::MappingInput;
use crate::settings::{BrazeSettings, ExternalIdentityType};
use crate::wire::{AliasRef, AliasToIdentify, UserRef};
use braid_mparticle::{Identities, Mpid};

/// The `alias_label` of braid's alias profiles.
pub const ALIAS_LABEL: &str = "mpid";

/// The external id of a user under the configured identity type, if they have one.
/// Blank identities count as absent.
pub fn external_id(
    settings: &BrazeSettings,
    mpid: Mpid,
    identities: &Identities,
) -> Option<String> {
    match settings.external_identity_type {
        ExternalIdentityType::Mpid => Some(mpid.to_string()),
        // Sent as stored (an id is opaque), but a blank one counts as absent.
        ExternalIdentityType::Identity(t) => {
            identities.get(&t).filter(|v| !v.trim().is_empty()).cloned()
        }
    }
}

/// The user's email under the configured email identity type, trimmed, if it is an
/// address Braze accepts (another value would make Braze reject the whole object).
pub fn email(settings: &BrazeSettings, identities: &Identities) -> Option<String> {
    email_str(settings, identities).map(str::to_string)
}

/// [`email`], borrowed.
pub(crate) fn email_str<'a>(
    settings: &BrazeSettings,
    identities: &'a Identities,
) -> Option<&'a str> {
    identities
        .get(&settings.email_identity_type)
        .map(|v| v.trim())
        .filter(|v| crate::validate::is_plausible_email(v))
}

/// The Braze user alias an anonymous user is forwarded under: `{alias_name: <mpid>,
/// alias_label: "mpid"}`.
pub fn alias_of(mpid: Mpid) -> AliasRef {
    AliasRef {
        alias_name: mpid.to_string(),
        alias_label: ALIAS_LABEL.to_string(),
    }
}

/// The identifier for this batch's objects, or `None` when it is not forwarded.
pub fn resolve_user(settings: &BrazeSettings, input: &MappingInput<'_>) -> Option<UserRef> {
    if let Some(id) = external_id(settings, input.mpid, input.identities) {
        return Some(UserRef::ExternalId(id));
    }
    if settings.disable_external_id_constraint {
        if let Some(e) = email(settings, input.identities) {
            return Some(UserRef::Email(e));
        }
    }
    if settings.forward_anonymous_as_alias {
        let a = alias_of(input.mpid);
        return Some(UserRef::Alias {
            alias_name: a.alias_name,
            alias_label: a.alias_label,
        });
    }
    None
}

/// With alias forwarding on, a user who lacked the external id before this batch and
/// has it now gets a `/users/identify` merge of their alias profile into it. (Braze
/// ignores a merge whose alias does not exist, so no record of past forwarding is kept.)
pub fn alias_merges(settings: &BrazeSettings, input: &MappingInput<'_>) -> Vec<AliasToIdentify> {
    if !settings.forward_anonymous_as_alias {
        return Vec::new();
    }
    // Before this batch the user was an alias profile only if no other identifier
    // applied to them.
    let by_email_before = settings.disable_external_id_constraint
        && email(settings, input.identities_before).is_some();
    if by_email_before {
        return Vec::new();
    }
    let before = external_id(settings, input.mpid, input.identities_before);
    match (before, external_id(settings, input.mpid, input.identities)) {
        (None, Some(now)) => vec![AliasToIdentify {
            external_id: now,
            user_alias: alias_of(input.mpid),
        }],
        _ => Vec::new(),
    }
}
