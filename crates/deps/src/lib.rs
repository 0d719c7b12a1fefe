/*!
Dependency safety for what an agent adds: the packages named in manifests
(Cargo.toml, package.json, requirements*.txt, pyproject.toml, go.mod) and
in install commands (pip/uv/poetry, npm/pnpm/yarn, cargo add, go get),
checked for

- known-vulnerable or malicious versions, from an offline OSV database
  (`ztguard deps update --from DIR|ZIP`);
- typosquats of popular packages (omitted, repeated, swapped or look-alike
  characters, separator changes), against a popularity list shipped here;
- names unknown to the offline registry list, when one was imported (the
  model may have made the name up: "slopsquatting");
- installs straight from URLs or git, which bypass the registry.
*/

mod checker;
mod command;
mod ecosystem;
mod json_lines;
pub mod lockfile;
mod manifest;
pub mod osv;
mod registry;
mod store;
mod typo;
mod version;

pub use checker::{Checker, DbWarning, Finding, STALE_AFTER_DAYS, Severity};
pub use command::from_argv;
pub use ecosystem::Ecosystem;
pub use manifest::{Dep, Origin, is_manifest, parse_manifest};
pub use osv::Database;
pub use registry::Registry;
pub use store::{Meta, Store};
pub use version::{Requirement, Version, compare};
