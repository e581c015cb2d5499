//! `[console]`: the browser console's settings.

use serde::{Deserialize, Serialize};

/// `[console]`: the admin console served under `/` on the main listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Serve the console. Default true.
    pub enabled: bool,
    /// How long a sign-in lasts, in minutes. Default 480 (8 hours).
    pub session_minutes: u64,
    /// Failed sign-ins allowed for one key within `login_lockout_secs` before further
    /// attempts are refused. Default 5.
    pub max_failed_logins: u32,
    /// How long failed sign-ins are remembered, and a refused key waits, in seconds.
    /// Default 300.
    pub login_lockout_secs: u64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            enabled: true,
            session_minutes: 480,
            max_failed_logins: 5,
            login_lockout_secs: 300,
        }
    }
}

impl ConsoleConfig {
    /// Checks serde cannot express: the key and the problem.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.session_minutes == 0 {
            return Err(("session_minutes", "must be at least 1".into()));
        }
        if self.max_failed_logins == 0 {
            return Err(("max_failed_logins", "must be at least 1".into()));
        }
        if self.login_lockout_secs == 0 {
            return Err(("login_lockout_secs", "must be at least 1".into()));
        }
        Ok(())
    }
}
