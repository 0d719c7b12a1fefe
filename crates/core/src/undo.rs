//! Before a call that can change the project, a checkpoint of its working
//! tree ([`ztguard_undo`]), so that `ztguard undo` can bring it back.
//!
//! When: as `[undo] checkpoints` says (by default only for calls made from
//! inside `ztguard exec`, which the broker answers; the pipeline decides).
//! Which calls: a file write; a command line unless every command in it
//! is known to only read (no write, delete, move, script run, build,
//! inline code, operand computed at run time, or program this module
//! does not know); a tool the policy does not model (MCP tools, unknown
//! ones). Reads, listings, searches, fetches and subagent starts take none.
//!
//! A checkpoint that fails never changes the decision: the call is
//! neither let through for it nor refused (losing the undo of one call is
//! better than a guard that stops every edit when the disk is full). The
//! failure is recorded with the call and returned among the outcome's
//! failures.

use std::path::Path;

use ztguard_policy::Action;
use ztguard_shell::{Effects, FileRef, ShellEnv, SimpleCommand};
use ztguard_undo::{Kind, Limits, Store, Taken};

use crate::Error;
use crate::redact::redact_text;

/// Programs that only read or print, when the analysis finds no file they
/// write, delete or run (redirections included).
const READS_ONLY: &[&str] = &[
    "ls",
    "ll",
    "la",
    "tree",
    "pwd",
    "cd",
    "pushd",
    "popd",
    "echo",
    "printf",
    "true",
    "false",
    "test",
    "[",
    "[[",
    "which",
    "type",
    "whoami",
    "id",
    "uname",
    "date",
    "hostname",
    "printenv",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "stat",
    "file",
    "du",
    "df",
    "wc",
    "sleep",
    "seq",
    "nproc",
    "free",
    "uptime",
    "ps",
    "cat",
    "head",
    "tail",
    "less",
    "more",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "ag",
    "find",
    "fd",
    "sort",
    "uniq",
    "cut",
    "tr",
    "diff",
    "cmp",
    "comm",
    "jq",
    "column",
    "nl",
    "od",
    "xxd",
    "hexdump",
    "strings",
    "md5sum",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "b2sum",
    "base64",
    "tac",
    "rev",
    "fold",
    "paste",
    "join",
    "bat",
    "zcat",
    "man",
    "whereis",
    "env",
    "time",
    "timeout",
    "nice",
    "xargs",
    "command",
    "exit",
    "export",
    "unset",
    "local",
    "declare",
    "read",
    ":",
    "wait",
    "jobs",
];

/// Options of those programs that write or run something the analysis
/// does not report.
fn writing_option(program: &str, arg: &str) -> bool {
    let opts: &[&str] = match program {
        "find" => &[
            "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf",
            "-fls",
        ],
        "fd" => &["-x", "-X", "--exec", "--exec-batch"],
        "rg" => &["--pre"],
        "sort" => &["-o", "--output"],
        "tree" => &["-o"],
        _ => &[],
    };
    opts.iter()
        .any(|o| arg == *o || (o.starts_with("--") && arg.starts_with(&format!("{o}="))))
        || (program == "sort" && arg.starts_with("-o"))
}

/// Git subcommands that change nothing in the working tree.
const GIT_READS: &[&str] = &[
    "status",
    "log",
    "diff",
    "show",
    "blame",
    "grep",
    "ls-files",
    "ls-tree",
    "rev-parse",
    "describe",
    "shortlog",
    "reflog",
    "cat-file",
    "merge-base",
    "rev-list",
    "for-each-ref",
    "name-rev",
    "count-objects",
    "check-ignore",
    "diff-tree",
    "diff-index",
    "ls-remote",
    "version",
    "help",
    "remote",
    "fetch",
    "branch",
    "tag",
    "config",
];

/// Can the call of `tool` doing `action` change files of the project?
pub fn changes_project(tool: &str, action: &Action, home: &Path) -> bool {
    match action {
        Action::Read { .. }
        | Action::List { .. }
        | Action::Search { .. }
        | Action::Fetch { .. }
        | Action::WebSearch { .. }
        | Action::Agent { .. } => false,
        Action::Other => !tool_changes_nothing(tool),
        Action::Write { .. } | Action::Unknown => true,
        Action::Exec { command } => {
            let env = ShellEnv {
                home: Some(home.to_string_lossy().to_string()),
            };
            let a = ztguard_shell::analyze(command, &env);
            a.error.is_some()
                || !a.dynamic.is_empty()
                || a.commands.is_empty() && !command.trim().is_empty()
                || a.commands.iter().any(|c| !reads_only(c))
        }
    }
}

/// Does the tool change nothing on its own? (MCP tools and unknown ones
/// may; the tools of the agent's own bookkeeping do not.)
fn tool_changes_nothing(tool: &str) -> bool {
    matches!(
        tool,
        "TodoWrite"
            | "TodoRead"
            | "AskUserQuestion"
            | "EnterPlanMode"
            | "ExitPlanMode"
            | "BashOutput"
            | "KillShell"
            | "KillBash"
            | "SlashCommand"
            | "Skill"
            | "Monitor"
    )
}

fn harmless_sink(f: &FileRef) -> bool {
    matches!(
        f.path.text(),
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty"
    ) || f.path.text().starts_with("/dev/fd/")
}

fn reads_only(c: &SimpleCommand) -> bool {
    let fx: Effects = ztguard_shell::effects(c);
    if !fx.writes.iter().all(harmless_sink)
        || !fx.deletes.is_empty()
        || !fx.executes.is_empty()
        || !fx.handed.is_empty()
        // Git obeys its repository's configuration: a build, to the
        // analysis; its reading subcommands are judged below.
        || fx.builds.iter().any(|b| b.tool != "git")
        || !fx.unknown_operands.is_empty()
        || !fx.risky.is_empty()
        || c.inline_code.is_some()
    {
        return false;
    }
    if c.argv.is_empty() {
        return true;
    }
    let words = c.words();
    let args = &words[1..];
    match c.name() {
        "git" => {
            let sub = args.iter().find(|a| !a.starts_with('-'));
            sub.is_some_and(|s| GIT_READS.contains(s))
                && !args.iter().any(|a| a.starts_with("--output"))
        }
        name => READS_ONLY.contains(&name) && !args.iter().any(|a| writing_option(name, a)),
    }
}

/// What the checkpoint preceded, for `ztguard undo --list`: the tool and
/// its subject, redacted.
pub fn label(tool: &str, action: &Action) -> String {
    let subject = match action {
        Action::Exec { command } => command.as_str(),
        Action::Write { path, .. } => path.as_str(),
        _ => "",
    };
    let text = if subject.is_empty() {
        tool.to_string()
    } else {
        format!("{tool}: {subject}")
    };
    let mut text = redact_text(&text);
    if text.chars().count() > 160 {
        text = text.chars().take(159).collect::<String>() + "…";
    }
    text
}

/// Take a checkpoint of `project` before the call `label`.
pub fn take(data_dir: &Path, project: &Path, label: &str) -> Result<Taken, Error> {
    Store::open(data_dir, project)
        .and_then(|s| s.checkpoint(label, Kind::Call, &Limits::default()))
        .map_err(|e| Error::Checkpoint(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(c: &str) -> bool {
        changes_project(
            "Bash",
            &Action::Exec {
                command: c.to_string(),
            },
            Path::new("/home/u"),
        )
    }

    #[test]
    fn reads_take_no_checkpoint() {
        for c in [
            "ls -la",
            "cat src/main.rs | grep fn | wc -l",
            "git status",
            "git log --oneline -5",
            "git diff HEAD~1",
            "rg -n TODO src 2>/dev/null",
            "find . -name '*.rs'",
            "cd src && ls",
            "echo hello",
            "grep -o foo src/main.rs",
            "ls -C",
            "head -20 README.md; tail -5 Cargo.toml",
        ] {
            assert!(!exec(c), "{c}");
        }
    }

    #[test]
    fn changes_take_one() {
        for c in [
            "rm -rf src",
            "mv a b",
            "cp a b",
            "echo x > f",
            "cat a >> b",
            "sed -i s/a/b/ f",
            "find . -name '*.o' -delete",
            "find . -exec rm {} \\;",
            "sort -o out.txt in.txt",
            "git checkout -- .",
            "git reset --hard",
            "git stash",
            "cargo build",
            "make",
            "./script.sh",
            "python -c 'import os; os.remove(\"x\")'",
            "some-unknown-tool --flag",
            "eval \"$X\"",
            "ls; rm f",
            "tee f < a",
            "git diff --output=patch.txt",
            "xargs rm < list",
            "awk '{print > \"f\"}' a",
            "$CMD",
            "truncate -s 0 f",
            "ln -s a b",
            "chmod +x f",
            "touch f",
        ] {
            assert!(exec(c), "{c}");
        }
    }

    #[test]
    fn tools() {
        let home = Path::new("/h");
        assert!(changes_project(
            "Write",
            &Action::Write {
                path: "a".into(),
                content: None,
                edits: vec![]
            },
            home
        ));
        assert!(!changes_project(
            "Read",
            &Action::Read { path: "a".into() },
            home
        ));
        assert!(changes_project("mcp__fs__write_file", &Action::Other, home));
        assert!(!changes_project("TodoWrite", &Action::Other, home));
        assert!(changes_project("Frobnicate", &Action::Unknown, home));
    }

    #[test]
    fn labels_are_redacted() {
        let l = label(
            "Bash",
            &Action::Exec {
                command:
                    "curl -H 'Authorization: Bearer ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE1' x"
                        .into(),
            },
        );
        assert!(!l.contains("ghp_FAKE"), "{l}");
    }
}
