//! The advisory database on disk, split into shards so that a check reads
//! only what it needs.
//!
//! An ecosystem's OSV dump holds tens of thousands of advisories (the npm
//! dump is about 200 MB of JSON); reading all of it on every hook call that
//! edits a manifest would take seconds. Each ecosystem's packages are spread
//! over 256 shard files by a hash of the normalized name, so checking a
//! package reads one small file.
//!
//! Layout under the data directory:
//! `osv/meta.json` (counts), `osv/<ecosystem>/<00..ff>.json` (name → advisories).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::osv::{Advisory, Database};

type Shard = BTreeMap<String, Vec<Advisory>>;

/// Counts kept beside the shards, for `deps update` and `deps check` notes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    pub records: usize,
    pub packages: BTreeMap<Ecosystem, usize>,
    /// When it was last imported (seconds since the Unix epoch); absent in
    /// databases written before this was recorded.
    #[serde(default)]
    pub updated: Option<u64>,
}

fn slug(eco: Ecosystem) -> &'static str {
    match eco {
        Ecosystem::CratesIo => "crates.io",
        Ecosystem::Npm => "npm",
        Ecosystem::PyPI => "pypi",
        Ecosystem::Go => "go",
    }
}

/// FNV-1a over the normalized name, folded to one byte.
fn shard_of(name: &str) -> u8 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24)) as u8
}

fn root(dir: &Path) -> PathBuf {
    dir.join("osv")
}

fn shard_path(dir: &Path, eco: Ecosystem, shard: u8) -> PathBuf {
    root(dir).join(slug(eco)).join(format!("{shard:02x}.json"))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
            format!(
                "{} is damaged ({e}); run `ztguard deps update` again",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

/// The on-disk database, read shard by shard.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    pub meta: Meta,
    cache: Mutex<HashMap<(Ecosystem, u8), Arc<Shard>>>,
}

impl Store {
    /// Open the database under `dir`; `None` when none was imported.
    pub fn open(dir: &Path) -> Result<Option<Store>, String> {
        let Some(meta) = read_json::<Meta>(&root(dir).join("meta.json"))? else {
            return Ok(None);
        };
        Ok(Some(Store {
            dir: dir.to_path_buf(),
            meta,
            cache: Mutex::new(HashMap::new()),
        }))
    }

    fn shard(&self, eco: Ecosystem, n: u8) -> Result<Arc<Shard>, String> {
        if let Some(s) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(&(eco, n)).cloned())
        {
            return Ok(s);
        }
        let shard: Shard = read_json(&shard_path(&self.dir, eco, n))?.unwrap_or_default();
        let shard = Arc::new(shard);
        if let Ok(mut c) = self.cache.lock() {
            c.insert((eco, n), shard.clone());
        }
        Ok(shard)
    }

    /// The advisories for a package.
    pub fn advisories(&self, eco: Ecosystem, name: &str) -> Result<Vec<Advisory>, String> {
        let norm = eco.normalize(name);
        let shard = self.shard(eco, shard_of(&norm))?;
        Ok(shard.get(&norm).cloned().unwrap_or_default())
    }

    /// Read every shard back into memory (to add records to it).
    pub fn load_all(&self) -> Result<Database, String> {
        let mut db = Database {
            records: self.meta.records,
            ..Database::default()
        };
        for eco in Ecosystem::ALL {
            for n in 0..=255u8 {
                let Some(shard) = read_json::<Shard>(&shard_path(&self.dir, eco, n))? else {
                    continue;
                };
                if !shard.is_empty() {
                    db.packages.entry(eco).or_default().extend(shard);
                }
            }
        }
        Ok(db)
    }

    /// Write a database as shards, replacing what was there.
    pub fn save(db: &Database, dir: &Path) -> Result<Meta, String> {
        let base = root(dir);
        if base.exists() {
            std::fs::remove_dir_all(&base)
                .map_err(|e| format!("cannot replace {}: {e}", base.display()))?;
        }
        let mut meta = Meta {
            records: db.records,
            packages: BTreeMap::new(),
            updated: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs()),
        };
        for (eco, packages) in &db.packages {
            let mut shards: BTreeMap<u8, Shard> = BTreeMap::new();
            for (name, adv) in packages {
                shards
                    .entry(shard_of(name))
                    .or_default()
                    .insert(name.clone(), adv.clone());
            }
            for (n, shard) in shards {
                let text = serde_json::to_string(&shard).map_err(|e| e.to_string())?;
                write_atomic(&shard_path(dir, *eco, n), &text)?;
            }
            meta.packages.insert(*eco, packages.len());
        }
        let text = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
        write_atomic(&base.join("meta.json"), &text)?;
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::Imported;

    #[test]
    fn saved_shards_answer_like_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = Database::default();
        let mut s = Imported::default();
        for (i, name) in ["lodash", "left-pad", "react", "express"]
            .iter()
            .enumerate()
        {
            db.add_record(
                &format!(r#"{{"id":"GHSA-{i}","summary":"s","affected":[{{"package":{{"ecosystem":"npm","name":"{name}"}},"ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"9.9.9"}}]}}]}}]}}"#),
                &mut s,
            );
        }
        let meta = Store::save(&db, dir.path()).expect("save");
        assert_eq!(meta.packages.get(&Ecosystem::Npm), Some(&4));
        let store = Store::open(dir.path()).expect("open").expect("present");
        assert_eq!(
            store.advisories(Ecosystem::Npm, "LoDash").expect("read")[0].id,
            "GHSA-0"
        );
        assert!(
            store
                .advisories(Ecosystem::Npm, "vue")
                .expect("read")
                .is_empty()
        );
        let back = store.load_all().expect("load");
        assert_eq!(back.packages, db.packages);
        assert!(
            Store::open(&dir.path().join("none"))
                .expect("open")
                .is_none()
        );
    }
}
