//! Convert the built-in rule set from TOML (its readable source, in the
//! gitleaks format) to JSON at build time: the hook loads it whenever the
//! agent writes a file, and serde_json reads it several times faster.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    let src = "rules/builtin.toml";
    println!("cargo:rerun-if-changed={src}");
    let text = std::fs::read_to_string(src)?;
    let value: toml::Value = toml::from_str(&text).map_err(|e| format!("{src}: {e}"))?;
    std::fs::write(out.join("builtin.json"), serde_json::to_string(&value)?)?;
    // The built-in keywords as a Rust array, for a check that needs no parsing.
    let mut keywords: Vec<String> = value
        .get("rules")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("keywords").and_then(|k| k.as_array()))
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_lowercase))
        .collect();
    // Keywords of three characters or fewer (`sk`, `pat`, `st.`) occur in most
    // command lines (`task`, `path`, `test.py`): a gate on them would open for
    // nearly everything. The rules behind them are still run by `ztguard scan`
    // and on written content; `might_contain_secret` gates command lines only.
    keywords.retain(|k| k.len() >= 4);
    keywords.sort();
    keywords.dedup();
    // A keyword that contains another is redundant for "might there be a secret".
    let minimal: Vec<&String> = keywords
        .iter()
        .filter(|k| !keywords.iter().any(|o| o != *k && k.contains(o.as_str())))
        .collect();
    std::fs::write(
        out.join("keywords.rs"),
        format!("pub(crate) const KEYWORDS: &[&str] = &{minimal:?};\n"),
    )?;
    Ok(())
}
