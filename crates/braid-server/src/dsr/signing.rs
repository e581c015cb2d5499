//! The processor's signing identity: an RSA key pair made on first use and kept in the
//! data directory, a self-signed X.509 certificate for it (served at the URL discovery
//! names as `processor_certificate`), and RSA-SHA256 (PKCS#1 v1.5) signatures for
//! `X-OpenDSR-Signature`.
//!
//! OpenDSR asks for a certificate from a trusted authority; braid cannot obtain one by
//! itself, so it serves a self-signed one. An operator who has a CA-issued certificate
//! for the same key can put it in `dsr-certificate.pem`; braid serves whatever that file
//! holds and only writes it when it is missing.

use super::DsrError;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer as _};
use rsa::RsaPrivateKey;
use sha2::Sha256;
use std::path::Path;

/// RSA modulus size of a new key.
const KEY_BITS: usize = 2048;
/// The private key, PKCS#8 PEM, readable by the owner only.
pub const KEY_FILE: &str = "dsr-signing-key.pem";
/// The certificate served to controllers.
pub const CERT_FILE: &str = "dsr-certificate.pem";

/// Signs response and callback bodies.
pub struct Signer {
    key: SigningKey<Sha256>,
    certificate_pem: String,
}

impl Signer {
    /// Load the key pair from `dir`, creating it (and the certificate) on first use.
    /// Blocking: key generation takes a moment.
    pub fn load_or_create(dir: &Path, domain: &str) -> Result<Signer, DsrError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        let io = |what: &str, e: &dyn std::fmt::Display| DsrError::Signing(format!("{what}: {e}"));
        let (private, pem) = if key_path.exists() {
            let pem = std::fs::read_to_string(&key_path).map_err(|e| io("reading the key", &e))?;
            let key = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| io("reading the key", &e))?;
            (key, pem)
        } else {
            let key = RsaPrivateKey::new(&mut rand::thread_rng(), KEY_BITS)
                .map_err(|e| io("generating the key", &e))?;
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| io("encoding the key", &e))?
                .to_string();
            crate::credentials::write_private(&key_path, pem.as_bytes())
                .map_err(|e| io("writing the key", &e))?;
            tracing::info!(path = %key_path.display(), "created the data subject request signing key");
            (key, pem)
        };
        let certificate_pem = if cert_path.exists() {
            std::fs::read_to_string(&cert_path).map_err(|e| io("reading the certificate", &e))?
        } else {
            let cert = self_signed(&pem, domain)?;
            std::fs::write(&cert_path, &cert).map_err(|e| io("writing the certificate", &e))?;
            cert
        };
        Ok(Signer {
            key: SigningKey::<Sha256>::new(private),
            certificate_pem,
        })
    }

    /// Base64 RSA-SHA256 signature of `body`, for `X-OpenDSR-Signature`.
    pub fn sign(&self, body: &[u8]) -> String {
        let signature = self.key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    }

    /// The certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }
}

fn self_signed(key_pem: &str, domain: &str) -> Result<String, DsrError> {
    let fail = |e: rcgen::Error| DsrError::Signing(format!("making the certificate: {e}"));
    let pair =
        rcgen::KeyPair::from_pem_and_sign_algo(key_pem, &rcgen::PKCS_RSA_SHA256).map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()]).map_err(fail)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, domain);
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        "braid data subject requests",
    );
    Ok(params.self_signed(&pair).map_err(fail)?.pem())
}
