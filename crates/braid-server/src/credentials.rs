//! First-run credentials: when the config names no input (or no admin, or no data
//! subject request credentials), braid creates a key and secret once, keeps them in
//! `<data_dir>/credentials.json`, and reuses them on every later start.

use braid_core::Secret;
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What `credentials.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeneratedCredentials {
    pub input: GeneratedCredential,
    pub admin: GeneratedCredential,
    /// Credentials of the data subject request API (`/v3/...`). Absent in files written
    /// before it existed; added on the next start.
    #[serde(default)]
    pub dsr: Option<GeneratedCredential>,
}

/// One generated key and secret. The file is the one place a secret is written in
/// clear (readable by its owner only); everywhere else it prints redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeneratedCredential {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub key: String,
    #[serde(serialize_with = "braid_core::secret::serialize_exposed")]
    pub secret: Secret,
}

impl GeneratedCredential {
    /// The name used in logs, metrics and de-duplication.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.key)
    }
}

fn new_dsr_credentials() -> GeneratedCredential {
    GeneratedCredential {
        name: None,
        key: format!("dsr-{}", random_token(20)),
        secret: random_token(40).into(),
    }
}

/// Load the generated credentials, creating them on first run. The boolean is true when
/// they were created just now (so the caller prints them).
pub fn load_or_create(data_dir: &Path) -> std::io::Result<(GeneratedCredentials, bool)> {
    let path = data_dir.join("credentials.json");
    if path.exists() {
        let text = std::fs::read_to_string(&path)?;
        let creds = serde_json::from_str(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        let mut creds: GeneratedCredentials = creds;
        if creds.dsr.is_some() {
            return Ok((creds, false));
        }
        creds.dsr = Some(new_dsr_credentials());
        write_private(
            &path,
            &serde_json::to_vec_pretty(&creds).map_err(std::io::Error::other)?,
        )?;
        return Ok((creds, true));
    }
    let creds = GeneratedCredentials {
        input: GeneratedCredential {
            name: Some("default".into()),
            key: random_token(24),
            secret: random_token(40).into(),
        },
        admin: GeneratedCredential {
            name: None,
            key: "admin".into(),
            secret: random_token(40).into(),
        },
        dsr: Some(new_dsr_credentials()),
    };
    std::fs::create_dir_all(data_dir)?;
    write_private(
        &path,
        &serde_json::to_vec_pretty(&creds).map_err(std::io::Error::other)?,
    )?;
    Ok((creds, true))
}

/// Write a file only its owner can read, atomically (temporary file, then rename).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    restrict_permissions(&tmp)?;
    std::fs::rename(&tmp, path)
}

fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
