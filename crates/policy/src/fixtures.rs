//! Public test fixtures a human approved for reading.
//!
//! The built-in protections deny every credential-shaped file (`*.pem`,
//! `*.key`, `*.asc`…), and no policy layer can make an exception: a project
//! policy travels with the repository, so an exception there would let any
//! cloned repository open its own credentials to the agent. A public test
//! certificate or a release-signing key in a project would then block
//! every recursive search of it.
//!
//! The exception is a human's approval instead (`ztguard approve --fixture
//! FILE`), recorded in the user's configuration directory next to the user
//! policy (`~/.config/ztguard/fixtures.json`), which no repository brings
//! and the agent can never write (the built-in protections protect it).
//! Each approval names one file by its real path *and* the SHA-256 of its
//! content: once the content changes, the file is a credential again.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::load::PolicyError;

/// The approvals file's name, in the directory of the user policy.
pub const FILE_NAME: &str = "fixtures.json";

/// One approved file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// Its real (absolute, links resolved) path.
    pub path: PathBuf,
    /// The SHA-256 of the content a human approved, in hex.
    pub sha256: String,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    fixtures: Vec<Fixture>,
}

/// The approved fixtures.
#[derive(Clone, Debug, Default)]
pub struct Fixtures {
    list: Vec<Fixture>,
}

impl Fixtures {
    /// The approvals in `path` (none when it does not exist). A file that
    /// cannot be read or parsed is an error: the caller fails closed.
    pub fn load(path: &Path) -> Result<Fixtures, PolicyError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Fixtures::default()),
            Err(e) => {
                return Err(PolicyError::Read {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
            }
        };
        let stored: Stored = serde_json::from_str(&text).map_err(|e| PolicyError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("not a ztguard fixtures file: {e}"),
        })?;
        if stored.version != 1 {
            return Err(PolicyError::Invalid {
                path: path.to_path_buf(),
                message: format!("fixtures file version {} is not 1", stored.version),
            });
        }
        Ok(Fixtures {
            list: stored.fixtures,
        })
    }

    /// The approved files.
    pub fn list(&self) -> &[Fixture] {
        &self.list
    }

    /// Is the file at `real` an approved fixture with exactly the approved
    /// content? Only a listed path is hashed.
    pub fn approves(&self, real: &Path) -> bool {
        let mut listed = self.list.iter().filter(|f| f.path == real).peekable();
        if listed.peek().is_none() {
            return false;
        }
        let Some(hash) = file_sha256(real) else {
            return false;
        };
        listed.any(|f| f.sha256 == hash)
    }
}

/// The hex SHA-256 of a regular file's content (None for anything else).
pub fn file_sha256(path: &Path) -> Option<String> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Why a fixture could not be approved.
#[derive(Debug)]
pub enum ApproveError {
    /// The file is not a regular file that can be read.
    NotAFile(PathBuf),
    /// The approvals file could not be read or written.
    Store(String),
}

impl std::fmt::Display for ApproveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApproveError::NotAFile(p) => {
                write!(f, "{} is not a readable regular file", p.display())
            }
            ApproveError::Store(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ApproveError {}

/// Withdraw the approval of `real` from `store`. Returns whether there was one.
pub fn withdraw(store: &Path, real: &Path) -> Result<bool, ApproveError> {
    let mut list = Fixtures::load(store)
        .map_err(|e| ApproveError::Store(e.to_string()))?
        .list;
    let before = list.len();
    list.retain(|f| f.path != real);
    if list.len() == before {
        return Ok(false);
    }
    save(store, list)?;
    Ok(true)
}

fn save(store: &Path, list: Vec<Fixture>) -> Result<(), ApproveError> {
    let text = serde_json::to_string_pretty(&Stored {
        version: 1,
        fixtures: list,
    })
    .map_err(|e| ApproveError::Store(e.to_string()))?;
    if let Some(dir) = store.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| ApproveError::Store(format!("{}: {e}", dir.display())))?;
    }
    let tmp = store.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, store))
        .map_err(|e| ApproveError::Store(format!("{}: {e}", store.display())))
}

/// Approve the file at `real` (a real path) with its current content, in
/// the approvals file `store`; an earlier approval of the same path is
/// replaced. Returns the hash approved.
pub fn approve(store: &Path, real: &Path) -> Result<String, ApproveError> {
    let sha256 = file_sha256(real).ok_or_else(|| ApproveError::NotAFile(real.to_path_buf()))?;
    let mut list = Fixtures::load(store)
        .map_err(|e| ApproveError::Store(e.to_string()))?
        .list;
    list.retain(|f| f.path != real);
    list.push(Fixture {
        path: real.to_path_buf(),
        sha256: sha256.clone(),
    });
    save(store, list)?;
    Ok(sha256)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_approval_holds_for_its_content_only() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path().join("cfg/fixtures.json");
        let pem = t.path().join("ca.pem");
        std::fs::write(&pem, "PUBLIC TEST CERT\n").unwrap();
        assert!(!Fixtures::load(&store).unwrap().approves(&pem));
        approve(&store, &pem).unwrap();
        assert!(Fixtures::load(&store).unwrap().approves(&pem));
        std::fs::write(&pem, "SOMETHING ELSE\n").unwrap();
        assert!(!Fixtures::load(&store).unwrap().approves(&pem));
        approve(&store, &pem).unwrap();
        let f = Fixtures::load(&store).unwrap();
        assert!(f.approves(&pem));
        assert_eq!(f.list().len(), 1, "a second approval replaces the first");
        assert!(!f.approves(&t.path().join("other.pem")));
    }

    #[test]
    fn a_damaged_store_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        let store = t.path().join("fixtures.json");
        std::fs::write(&store, "{").unwrap();
        assert!(Fixtures::load(&store).is_err());
        std::fs::write(&store, r#"{"version":2,"fixtures":[]}"#).unwrap();
        assert!(Fixtures::load(&store).is_err());
        assert!(approve(&store, &t.path().join("missing.pem")).is_err());
    }
}
