//! What earlier runs left behind: a run names what it makes after its
//! process id (`ztguard-exec-123`, `operation-123-0`, `claude-json-123.json`),
//! and whatever it could not remove (it was killed) is removed by a later
//! run once that process is gone.

use std::path::{Path, PathBuf};

/// The entries of `dir` named `prefix` + a process id (+ anything after a
/// `-` or `.`) whose process no longer exists.
pub fn stale_runs(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(prefix))
                .and_then(|rest| rest.split(['-', '.']).next())
                .and_then(|pid| pid.parse::<u32>().ok())
                .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        })
        .map(|e| e.path())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::stale_runs;

    #[test]
    fn only_the_entries_of_processes_that_are_gone() {
        let d = tempfile::tempdir().unwrap();
        let me = std::process::id();
        // A pid above the kernel's maximum is never a live process.
        let gone = 4_194_400u32;
        for name in [
            format!("run-{me}"),
            format!("run-{gone}"),
            format!("run-{gone}-0"),
            format!("run-{gone}.json"),
            format!("other-{gone}"),
            "run-x".to_string(),
        ] {
            std::fs::write(d.path().join(name), "").unwrap();
        }
        let mut found: Vec<String> = stale_runs(d.path(), "run-")
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                format!("run-{gone}"),
                format!("run-{gone}-0"),
                format!("run-{gone}.json")
            ]
        );
    }
}
