//! Restoring a checkpoint: first a checkpoint of the current state (so
//! that an undo can be undone), then git's own two-tree switch from that
//! state to the target (`read-tree -m -u`), which writes the files that
//! differ, removes those the target does not have, and leaves every file
//! the store never captured alone.

use crate::{Checkpoint, Error, Kind, Limits, Store, Taken, find_in, git};

/// Which checkpoint to go back to.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// A commit id or a unique prefix of one (`ztguard undo --list`).
    Id(&'a str),
    /// The newest checkpoint taken before a tool call that differs from
    /// the working tree: the state before the last change. Repeated, it
    /// goes further back.
    Last,
}

/// What a restore did.
#[derive(Clone, Debug)]
pub struct Restored {
    /// The checkpoint of the state before the restore (`--to` it to undo
    /// the undo).
    pub before: Taken,
    /// The checkpoint restored.
    pub to: Checkpoint,
    /// The files written or removed (paths as git prints them).
    pub files: Vec<String>,
}

impl Store {
    /// Make the working tree what it was at `target`, byte for byte for
    /// every file the store captures.
    pub fn restore(&self, target: Target<'_>, limits: &Limits) -> Result<Restored, Error> {
        let _lock = self.lock()?;
        let listed = self.list()?;
        let chosen = match target {
            Target::Id(id) => Some(find_in(listed.clone(), id)?),
            Target::Last => None,
        };
        let before = self.checkpoint_locked("before `ztguard undo`", Kind::Undo, limits)?;
        let current = git::line(&self.git(&["rev-parse", &format!("{}^{{tree}}", before.commit)])?);
        let to = match chosen {
            Some(c) => c,
            None => listed
                .iter()
                .rev()
                .find(|c| c.kind == Kind::Call && c.tree != current)
                .cloned()
                .ok_or(Error::NothingToUndo)?,
        };
        let diff = self.git(&[
            "diff-tree",
            "-r",
            "-z",
            "--name-only",
            "--no-renames",
            &before.commit,
            &to.commit,
        ])?;
        let files: Vec<String> = diff
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).to_string())
            .collect();
        if !files.is_empty() {
            let from = self.keep_ignored(&before.commit, &to.commit)?;
            self.git(&[
                "read-tree",
                "-m",
                "-u",
                "--exclude-per-directory=.gitignore",
                &from,
                &to.commit,
            ])?;
        }
        self.git(&["update-ref", "--no-deref", "HEAD", &to.commit])?;
        if before.new {
            self.prune_locked(limits)?;
        }
        Ok(Restored { before, to, files })
    }

    /// The state to switch from: `before`, less the ignored files `to`
    /// lacks. Those stay as they are: the store cannot tell a file created
    /// since `to` from one that was there, ignored and too big to capture.
    fn keep_ignored(&self, before: &str, to: &str) -> Result<String, Error> {
        let gone = self.git(&[
            "diff-tree",
            "-r",
            "-z",
            "--name-only",
            "--no-renames",
            "--diff-filter=D",
            before,
            to,
        ])?;
        if gone.is_empty() {
            return Ok(before.to_string());
        }
        let ignored = match self.git_in(&["check-ignore", "-z", "--stdin", "--no-index"], &gone) {
            Ok(out) => out,
            // Exit 1: none of them is ignored.
            Err(Error::Git { message, .. }) if message.is_empty() => return Ok(before.to_string()),
            Err(e) => return Err(e),
        };
        if ignored.is_empty() {
            return Ok(before.to_string());
        }
        self.git_in(
            &["update-index", "-z", "--force-remove", "--stdin"],
            &ignored,
        )?;
        Ok(git::line(&self.git(&["write-tree"])?))
    }
}
