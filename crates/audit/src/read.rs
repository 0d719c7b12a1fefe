//! Reading records back, in chain order across segments, for the commands
//! that show, count and follow the log. Reading does not verify: that is
//! `verify`'s job, and a reader should still show a damaged log.

use std::io::BufRead;
use std::path::Path;

use serde_json::{Map, Value};

/// One record as stored.
#[derive(Clone, Debug)]
pub struct Record {
    pub fields: Map<String, Value>,
}

impl Record {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
    pub fn u64(&self, key: &str) -> Option<u64> {
        self.fields.get(key).and_then(Value::as_u64)
    }
}

/// Call `f` on every record of the log, oldest first; stop when it returns
/// false. Lines that are not JSON objects (torn by a crash) are skipped.
pub fn for_each_record(path: &Path, mut f: impl FnMut(Record) -> bool) -> Result<(), String> {
    for file in crate::segments(path) {
        let handle = std::fs::File::open(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for line in std::io::BufReader::new(handle).lines() {
            let line = line.map_err(|e| format!("{}: {e}", file.display()))?;
            let Ok(fields) = serde_json::from_str::<Map<String, Value>>(&line) else {
                continue;
            };
            if !f(Record { fields }) {
                return Ok(());
            }
        }
    }
    Ok(())
}
