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
    Ok(())
}
