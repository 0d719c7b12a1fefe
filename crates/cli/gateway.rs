//! The model API gateway for `ztguard exec`, configured from the
//! environment `ztguard exec` was started in: the credential variables the
//! agent would have read become the gateway's, and the sandbox gets the
//! same variables holding a placeholder. Without any, Claude Code's login
//! file serves (it is masked inside, and the sandbox gets a placeholder
//! `CLAUDE_CODE_OAUTH_TOKEN`).

use std::path::Path;

use ztguard_inject::gateway::{Bearer, Credentials, Gateway, Upstream, claude_login_token};

/// Variables that carry the model API credential, and how it is sent.
const KEY_VARS: &[&str] = &["ANTHROPIC_API_KEY"];
const BEARER_VARS: &[&str] = &["ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"];

/// The default API the agent talks to.
const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A placeholder unique to this run, so a stray request cannot be taken
/// for the sandbox's own.
fn placeholder() -> Result<String, String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("ztguard-placeholder-{hex}"))
}

/// The gateway, and the variables the sandbox gets instead of the real
/// ones; None when there is no credential: no variable is set and Claude
/// Code has no login file in `home`.
#[allow(clippy::type_complexity)]
pub fn from_env(home: &Path) -> Result<Option<(Gateway, Vec<(String, String)>)>, String> {
    let api_key = KEY_VARS.iter().find_map(|v| var(v));
    let mut bearer = BEARER_VARS.iter().find_map(|v| var(v)).map(Bearer::Token);
    let mut inside_vars: Vec<&str> = KEY_VARS
        .iter()
        .chain(BEARER_VARS)
        .copied()
        .filter(|v| var(v).is_some())
        .collect();
    // Logged in with `claude` (`/login`): the login file is masked inside,
    // and the sandbox authenticates with a placeholder OAuth token instead.
    let login = home.join(".claude/.credentials.json");
    if api_key.is_none() && bearer.is_none() && claude_login_token(&login).is_ok() {
        bearer = Some(Bearer::ClaudeLogin(login));
        inside_vars.push("CLAUDE_CODE_OAUTH_TOKEN");
    }
    if api_key.is_none() && bearer.is_none() {
        return Ok(None);
    }
    let placeholder = placeholder()?;
    let inside: Vec<(String, String)> = inside_vars
        .into_iter()
        .map(|v| (v.to_string(), placeholder.clone()))
        .collect();
    let base = var("ANTHROPIC_BASE_URL").unwrap_or_else(|| DEFAULT_UPSTREAM.into());
    let upstream = Upstream::parse(&base)?;
    // A company proxy's CA, as Node's own variable names it.
    let roots = match var("NODE_EXTRA_CA_CERTS").or_else(|| var("SSL_CERT_FILE")) {
        Some(f) => Some(std::fs::read(&f).map_err(|e| format!("{f}: {e}"))?),
        None => None,
    };
    let gateway = Gateway::new(
        upstream,
        Credentials {
            placeholder,
            api_key,
            bearer,
        },
        roots.as_deref(),
    )?;
    Ok(Some((gateway, inside)))
}
