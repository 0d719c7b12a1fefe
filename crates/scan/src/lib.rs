/*!
`ztguard scan`'s engine: the checks run on one text (secrets, insecure
code, dependency manifests), over a tree (gitignore-aware, on all cores),
over the lines a diff adds, and the report in text, JSON and SARIF, with
baselines of accepted findings.
*/

pub mod baseline;
pub mod checks;
pub mod diff;
pub mod format;
pub mod pathclass;
pub mod report;
pub mod suppress;
pub mod walk;

pub use checks::{Checks, Enabled, dependency_item, secret_item};
pub use report::{Item, Kind, Report, Severity, Warning};
