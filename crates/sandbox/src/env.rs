//! The environment inside the sandbox: a base set that programs need to
//! run, and the variables whose names carry the allowed prefix (kept under
//! their full names). Everything else — tokens, cloud keys, database URLs,
//! the agent's own API key — stays outside.

use std::ffi::{OsStr, OsString};

/// Variables every program expects, none of which carries a secret.
pub const BASE: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "COLORTERM",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
    "NO_COLOR",
    "EDITOR",
    "PAGER",
];

/// The variables that pass into the sandbox, in the order given.
pub fn clean<I, K, V>(vars: I, prefix: &str) -> Vec<(OsString, OsString)>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    vars.into_iter()
        .filter(|(k, _)| passes(k.as_ref(), prefix))
        .map(|(k, v)| (k.as_ref().to_os_string(), v.as_ref().to_os_string()))
        .collect()
}

/// Does a variable of this name pass?
pub fn passes(name: &OsStr, prefix: &str) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    BASE.contains(&name)
        || (!prefix.is_empty() && name.starts_with(prefix) && name.len() > prefix.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_base_set_and_the_prefix_pass() {
        let vars = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/u"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("ANTHROPIC_API_KEY", "sk-ant-x"),
            ("AI_ACCESSIBLE_DB_URL", "postgres://db"),
            ("AI_ACCESSIBLE_", "bare prefix"),
            ("GITHUB_TOKEN", "ghp_x"),
        ];
        let names: Vec<String> = clean(vars, "AI_ACCESSIBLE_")
            .into_iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["PATH", "HOME", "AI_ACCESSIBLE_DB_URL"]);
    }
}
