//! Memory and process limits for the whole sandbox, where the machine lets
//! ztguard make a control group: cgroup v2 with the `memory` and `pids`
//! controllers delegated to the caller's group, or cgroup v1's `memory`
//! and `pids` hierarchies (which only root can write). Elsewhere the
//! sandbox keeps its per-user-namespace process limit (`RLIMIT_NPROC`) and
//! says that memory is not limited.
//!
//! The relay process joins the group before it makes the namespaces (by
//! writing `0` to `cgroup.procs`, which moves the writer), so everything
//! the command starts is in it; when `exec` ends, every process still in
//! the group is killed and the group removed.

use std::ffi::CString;
use std::io;
use std::path::{Path, PathBuf};

/// The most memory the sandbox may use: half the machine's.
fn memory_limit() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024 / 2)
}

/// The most processes and threads of the whole sandbox.
pub const MAX_TASKS: u64 = 8192;

/// A control group made for one `exec`.
pub struct Group {
    /// The directories of the group (one per v1 hierarchy, one for v2).
    dirs: Vec<PathBuf>,
    /// `cgroup.procs` of each, for the child to join.
    pub(crate) join: Vec<CString>,
    /// What is limited, in words.
    pub limits: String,
}

/// The caller's group in each mounted hierarchy: (controllers, path).
fn own_groups() -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string("/proc/self/cgroup") else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ':');
            let _id = parts.next()?;
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect()
}

impl Group {
    /// Make a group named `name` (see [`name`]) with the limits, where the
    /// machine allows it (None: it does not).
    pub fn new(name: &str) -> Option<Group> {
        let memory = memory_limit()?;
        let groups = own_groups();
        let v2 = groups.iter().find(|(c, _)| c.is_empty());
        let mut made = Vec::new();
        let mut limited = Vec::new();
        // cgroup v2: a group below the caller's, if the controllers are
        // delegated there.
        if let Some((_, path)) = v2 {
            for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                let base = Path::new(root).join(path.trim_start_matches('/'));
                let controllers = std::fs::read_to_string(base.join("cgroup.subtree_control"))
                    .unwrap_or_default();
                if !(controllers.contains("memory") && controllers.contains("pids")) {
                    continue;
                }
                sweep(&base);
                let dir = base.join(name);
                if std::fs::create_dir(&dir).is_ok() {
                    let ok = std::fs::write(dir.join("memory.max"), memory.to_string()).is_ok()
                        && std::fs::write(dir.join("pids.max"), MAX_TASKS.to_string()).is_ok();
                    made.push(dir);
                    if ok {
                        limited.push("memory");
                        limited.push("pids");
                        break;
                    }
                }
            }
        }
        if limited.is_empty() {
            // cgroup v1: one group in each of the two hierarchies.
            for (controller, file, value) in [
                ("memory", "memory.limit_in_bytes", memory),
                ("pids", "pids.max", MAX_TASKS),
            ] {
                let Some((_, path)) = groups
                    .iter()
                    .find(|(c, _)| c.split(',').any(|c| c == controller))
                else {
                    continue;
                };
                let base = Path::new("/sys/fs/cgroup")
                    .join(controller)
                    .join(path.trim_start_matches('/'));
                sweep(&base);
                let dir = base.join(name);
                if std::fs::create_dir(&dir).is_err() {
                    continue;
                }
                if std::fs::write(dir.join(file), value.to_string()).is_ok() {
                    limited.push(controller);
                }
                made.push(dir);
            }
        }
        if made.is_empty() {
            return None;
        }
        let join = made
            .iter()
            .filter_map(|d| {
                CString::new(d.join("cgroup.procs").into_os_string().into_encoded_bytes()).ok()
            })
            .collect();
        Some(Group {
            dirs: made,
            join,
            limits: format!(
                "a control group: {} (memory {} MiB, {} tasks)",
                limited.join(" and "),
                memory / (1 << 20),
                MAX_TASKS
            ),
        })
    }

    /// Kill whatever is left in the group and remove it.
    pub fn end(&self) {
        for dir in &self.dirs {
            if std::fs::write(dir.join("cgroup.kill"), "1").is_err() {
                for _ in 0..20 {
                    let pids =
                        std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
                    if pids.trim().is_empty() {
                        break;
                    }
                    for pid in pids.lines().filter_map(|p| p.trim().parse::<i32>().ok()) {
                        // SAFETY: kill takes no memory; the pid is one of the group's.
                        unsafe {
                            libc::kill(pid, libc::SIGKILL);
                        }
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            for _ in 0..100 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.end();
    }
}

/// Remove the empty groups of earlier runs whose `ztguard exec` is gone
/// (killed before it could remove them).
fn sweep(base: &Path) {
    for dir in crate::stale_runs(base, PREFIX) {
        let _ = std::fs::remove_dir(dir);
    }
}

/// Can a control group with the limits be made here? (One is made and
/// removed.)
pub fn available() -> bool {
    Group::new(&format!("{PREFIX}{}-probe", std::process::id())).is_some()
}

/// The name of the group of the `exec` with this pid.
pub fn name(pid: u32) -> String {
    format!("{PREFIX}{pid}")
}

const PREFIX: &str = "ztguard-exec-";

/// Join the groups, in the child (writing `0` moves the writer).
pub(crate) fn join(files: &[CString]) -> io::Result<()> {
    for f in files {
        crate::mounts::write_file(f.as_bytes_with_nul(), b"0")?;
    }
    Ok(())
}
