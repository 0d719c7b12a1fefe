//! Package ecosystems and their name rules.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    #[serde(rename = "crates.io")]
    CratesIo,
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "PyPI")]
    PyPI,
    #[serde(rename = "Go")]
    Go,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 4] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
    ];

    /// The OSV ecosystem string.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
        }
    }

    pub fn from_name(s: &str) -> Option<Ecosystem> {
        match s.to_ascii_lowercase().as_str() {
            "crates.io" | "cargo" | "crates" | "rust" => Some(Ecosystem::CratesIo),
            "npm" | "node" | "javascript" => Some(Ecosystem::Npm),
            "pypi" | "pip" | "python" => Some(Ecosystem::PyPI),
            "go" | "golang" => Some(Ecosystem::Go),
            _ => None,
        }
    }

    /// The name as the registry compares it: PEP 503 for PyPI, case-folded
    /// for npm and crates.io (where `-` and `_` are the same crate).
    pub fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut sep = false;
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        sep = true;
                    } else {
                        if sep && !out.is_empty() {
                            out.push('-');
                        }
                        sep = false;
                        out.extend(c.to_lowercase());
                    }
                }
                out
            }
            Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
            Ecosystem::Npm => name.to_ascii_lowercase(),
            Ecosystem::Go => name.to_string(),
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.osv_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_the_registries() {
        assert_eq!(
            Ecosystem::PyPI.normalize("Typing_Extensions"),
            "typing-extensions"
        );
        assert_eq!(
            Ecosystem::PyPI.normalize("zope.interface"),
            "zope-interface"
        );
        assert_eq!(Ecosystem::CratesIo.normalize("Serde_JSON"), "serde-json");
        assert_eq!(Ecosystem::Npm.normalize("@Babel/Core"), "@babel/core");
    }
}
