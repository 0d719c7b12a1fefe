//! A small JSON file changed under an exclusive lock: read, change, rewrite
//! in place. Shared by the session states and the provenance ledger.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Lock `path`, read it (`init()` when it is empty or new), let `f` change
/// the value, write it back, unlock.
pub(crate) fn update<T: Serialize + DeserializeOwned, R>(
    path: &Path,
    init: impl FnOnce() -> Result<T, String>,
    f: impl FnOnce(&mut T) -> Result<R, String>,
) -> Result<R, String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = match open_rw(path) {
        Ok(file) => file,
        Err(_) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            open_rw(path).map_err(io)?
        }
    };
    file.lock().map_err(io)?;
    let result = (|| {
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io)?;
        let mut value = if text.trim().is_empty() {
            init()?
        } else {
            serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{} is damaged ({e}); a human can inspect and remove it",
                    path.display()
                )
            })?
        };
        let r = f(&mut value)?;
        let out = serde_json::to_string(&value).map_err(|e| e.to_string())?;
        // Overwrite, then cut what is left of a longer old text: emptying
        // the file first would free its block and make the file system
        // allocate it again, several times the cost of the write.
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(out.as_bytes()).map_err(io)?;
        if (out.len() as u64) < text.len() as u64 {
            file.set_len(out.len() as u64).map_err(io)?;
        }
        Ok(r)
    })();
    let _ = file.unlock();
    result
}

fn open_rw(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
}

/// Read a value under a shared lock (a writer's rewrite is not atomic).
/// None when there is no file, or it is empty.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    file.lock_shared().map_err(io)?;
    let mut text = String::new();
    let read = file.read_to_string(&mut text).map_err(io);
    let _ = file.unlock();
    read?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text).map(Some).map_err(|e| {
        format!(
            "{} is damaged ({e}); a human can inspect and remove it",
            path.display()
        )
    })
}
