//! Development credentials of the all-in-one, on only when no `[auth]` is
//! configured: an ApplicationToken and an HS256 signing key, made once and
//! kept in the data directory (mode 0600) so that restarts keep accepting
//! them, and the tokens `nexus dev token` signs with that key.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use nexus_platform::config::Settings;
use secrecy::{ExposeSecret as _, SecretString};

const TOKEN_FILE: &str = "dev-application-token";
const JWT_KEY_FILE: &str = "dev-jwt-hs256-key";

/// The development ApplicationToken: `gateway.dev_application_token` when
/// set, else read from `data_dir`, or made and saved there.
///
/// # Errors
/// The data directory cannot be written, or no randomness is available.
pub fn application_token(settings: &Settings) -> anyhow::Result<SecretString> {
    match &settings.gateway.dev_application_token {
        Some(token) => Ok(token.clone()),
        None => read_or_make(&settings.data_dir, TOKEN_FILE),
    }
}

/// The development HS256 signing key: read from `data_dir`, or made and saved.
///
/// # Errors
/// The data directory cannot be written, or no randomness is available.
pub fn jwt_key(data_dir: &Path) -> anyhow::Result<SecretString> {
    read_or_make(data_dir, JWT_KEY_FILE)
}

/// What a development token says.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub subject: String,
    /// Empty: every `/v1` scope (the tenant back-office scopes only when named).
    pub scopes: Vec<String>,
    pub tenants: Vec<String>,
    pub ttl_secs: u64,
}

/// A JWT the all-in-one accepts while development credentials are on.
///
/// # Errors
/// The key cannot be read or made.
pub fn token(data_dir: &Path, request: &TokenRequest) -> anyhow::Result<String> {
    let key = jwt_key(data_dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let scopes = if request.scopes.is_empty() {
        gateway::auth::scope::all_names()
    } else {
        request.scopes.clone()
    };
    let claims = serde_json::json!({
        "iss": gateway::jwt::DEV_ISSUER,
        "sub": request.subject,
        "iat": now,
        "exp": now.saturating_add(request.ttl_secs),
        "scope": scopes.join(" "),
        "tenants": request.tenants,
    });
    Ok(gateway::jwt::sign_hs256(
        key.expose_secret().as_bytes(),
        &claims,
    )?)
}

fn read_or_make(data_dir: &Path, file: &str) -> anyhow::Result<SecretString> {
    let path = data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret)?;
    Ok(SecretString::from(secret))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
