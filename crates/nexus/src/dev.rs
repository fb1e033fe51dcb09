//! Development credentials of the all-in-one: an ApplicationToken made once
//! and kept in the data directory, so that restarts keep working with it.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;

const TOKEN_FILE: &str = "dev-application-token";

/// The development ApplicationToken: read from `data_dir`, or made and saved.
///
/// # Errors
/// The data directory cannot be written, or no randomness is available.
pub fn application_token(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join(TOKEN_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(SecretString::from(existing.to_owned()));
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &token)?;
    Ok(SecretString::from(token))
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
