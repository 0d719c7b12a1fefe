//! The offline registry list: every package name an ecosystem's registry
//! has, imported from a file (one name per line). With a list, a name that
//! is in neither the list nor the popular set is reported as unknown — the
//! model may have invented it. Without one, ztguard cannot tell and says so.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::ecosystem::Ecosystem;

#[derive(Debug, Default)]
pub struct Registry {
    names: BTreeMap<Ecosystem, HashSet<String>>,
}

impl Registry {
    fn file(dir: &Path, eco: Ecosystem) -> PathBuf {
        let slug = match eco {
            Ecosystem::CratesIo => "crates",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "go",
        };
        dir.join(format!("registry-{slug}.txt"))
    }

    /// Load every imported list under `dir`.
    pub fn load(dir: &Path) -> Result<Registry, String> {
        let mut r = Registry::default();
        for eco in Ecosystem::ALL {
            let p = Self::file(dir, eco);
            match std::fs::read_to_string(&p) {
                Ok(t) => {
                    r.names.insert(
                        eco,
                        t.lines()
                            .map(|l| eco.normalize(l.trim()))
                            .filter(|l| !l.is_empty())
                            .collect(),
                    );
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("cannot read {}: {e}", p.display())),
            }
        }
        Ok(r)
    }

    /// Import a names file for an ecosystem into `dir`; returns the count.
    pub fn import(dir: &Path, eco: Ecosystem, from: &Path) -> Result<usize, String> {
        let text = std::fs::read_to_string(from)
            .map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let mut names: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| eco.normalize(l))
            .collect();
        names.sort();
        names.dedup();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut out = names.join("\n");
        out.push('\n');
        std::fs::write(Self::file(dir, eco), out)
            .map_err(|e| format!("cannot write the registry list: {e}"))?;
        Ok(names.len())
    }

    pub fn has_list(&self, eco: Ecosystem) -> bool {
        self.names.contains_key(&eco)
    }

    pub fn count(&self, eco: Ecosystem) -> usize {
        self.names.get(&eco).map_or(0, HashSet::len)
    }

    /// `None` without a list for the ecosystem.
    pub fn contains(&self, eco: Ecosystem, name: &str) -> Option<bool> {
        self.names
            .get(&eco)
            .map(|s| s.contains(&eco.normalize(name)))
    }
}
