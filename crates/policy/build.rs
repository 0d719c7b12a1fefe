//! Convert the built-in policies from TOML (the commented source of truth,
//! printed by `ztguard policy default` and written by `ztguard init`) to
//! JSON at build time: the hook loads them on every call, and serde_json
//! reads the same data in about a quarter of the time the TOML parser takes.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    for name in ["protections", "default"] {
        let src = format!("policies/{name}.toml");
        println!("cargo:rerun-if-changed={src}");
        let text = std::fs::read_to_string(&src)?;
        let value: toml::Value = toml::from_str(&text).map_err(|e| format!("{src}: {e}"))?;
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string(&value)?,
        )?;
    }
    Ok(())
}
