//! Running git on a store: a fixed environment, so that nothing of the
//! user's or the project's git configuration (hooks, fsmonitor, filters,
//! line-ending conversion, a `GIT_DIR` in the environment) can run a
//! program or change a byte on the way in or out.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::Error;

/// The store's own configuration, written when it is made: the working
/// tree is the project's, modes and symlinks are kept, refs stay loose
/// (so that counting checkpoints is reading one directory) and nothing
/// keeps a deleted checkpoint's objects alive.
pub(crate) const CONFIG: &str = "[core]
\trepositoryformatversion = 0
\tbare = false
\tfilemode = true
\tsymlinks = true
\tignorecase = false
\tprecomposeunicode = false
\tautocrlf = false
\tsafecrlf = false
\tfsmonitor = false
\tuntrackedCache = false
\tsplitIndex = false
\tlogAllRefUpdates = false
\thooksPath = /dev/null
\tquotePath = true
[gc]
\tautoDetach = false
\tpackRefs = false
\tpruneExpire = now
\treflogExpire = now
\treflogExpireUnreachable = now
[index]
\tversion = 4
[advice]
\taddEmbeddedRepo = false
\taddIgnoredFile = false
";

/// Attributes that win over the project's `.gitattributes`: no line-ending
/// conversion, no `$Id$` expansion, no filter, no re-encoding. What is
/// stored is the file's bytes.
pub(crate) const ATTRIBUTES: &str = "* -text -ident -filter -working-tree-encoding\n";

/// A git command on the store `git_dir` with `work_tree` as its working tree.
pub(crate) fn command(git_dir: &Path, work_tree: &Path) -> Command {
    let mut c = Command::new("git");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GIT_") {
            c.env_remove(&k);
        }
    }
    c.env("GIT_DIR", git_dir)
        .env("GIT_WORK_TREE", work_tree)
        .env("GIT_INDEX_FILE", git_dir.join("index"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "ztguard")
        .env("GIT_AUTHOR_EMAIL", "ztguard@localhost")
        .env("GIT_COMMITTER_NAME", "ztguard")
        .env("GIT_COMMITTER_EMAIL", "ztguard@localhost")
        .env("LC_ALL", "C")
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
        ])
        .current_dir(work_tree)
        .stdin(Stdio::null());
    c
}

/// Run `git ARGS` (with `input` on its stdin); its stdout, or why it failed.
pub(crate) fn run(
    git_dir: &Path,
    work_tree: &Path,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    let what = || format!("git {}", args.join(" "));
    let mut c = command(git_dir, work_tree);
    if args.first() == Some(&"check-ignore") {
        // It takes paths, not pathspecs, and refuses the literal magic.
        c.env_remove("GIT_LITERAL_PATHSPECS");
    }
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if input.is_some() {
        c.stdin(Stdio::piped());
    }
    let mut child = c.spawn().map_err(|e| Error::Git {
        what: what(),
        message: format!("cannot start git ({e}); is git installed?"),
    })?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        // A write error shows up as git's own failure below.
        let _ = stdin.write_all(bytes);
    }
    let out = child.wait_with_output().map_err(|e| Error::Git {
        what: what(),
        message: e.to_string(),
    })?;
    if !out.status.success() {
        let mut message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if message.len() > 600 {
            let mut end = 600;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        return Err(Error::Git {
            what: what(),
            message,
        });
    }
    Ok(out.stdout)
}

/// The first line of git's output, as text.
pub(crate) fn line(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}
