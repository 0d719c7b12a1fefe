//! What kind of file a path is, for `ztguard scan`'s defaults: findings in
//! tests, fixtures, documentation and examples matter less than in the
//! code that ships, and vendored, generated and minified files are not the
//! project's to fix. As semgrep's default ignores do, but per kind of check:
//!
//! | class | secrets | code checks | dependencies |
//! |---|---|---|---|
//! | test, fixture | high → medium; generic rules → low | low (informational) | low |
//! | docs, example | high → medium; generic rules → low | low (informational) | low |
//! | vendored | high → medium | skipped | skipped |
//! | generated | high → medium | skipped | skipped |
//! | minified | → low | skipped | skipped |
//!
//! A credential in a test still shows (at medium) when it is recognisably a
//! real one (a provider's format, a private key); a secret-looking name
//! assigned some value in a test or a document does not, unless asked for
//! with `--min-severity low`. `--all-paths` turns the classes off.
//!
//! The hook never uses these classes: what the agent writes is checked the
//! same wherever it goes.

use serde::Serialize;

use crate::report::{Item, Kind, Severity};

/// The class of a path. Ordinary source has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathClass {
    Test,
    Fixture,
    Docs,
    Example,
    Vendored,
    Generated,
    Minified,
}

impl PathClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PathClass::Test => "test",
            PathClass::Fixture => "fixture",
            PathClass::Docs => "docs",
            PathClass::Example => "example",
            PathClass::Vendored => "vendored",
            PathClass::Generated => "generated",
            PathClass::Minified => "minified",
        }
    }

    /// Whether code and dependency checks run at all on this class.
    pub fn runs_code_checks(self) -> bool {
        !matches!(
            self,
            PathClass::Vendored | PathClass::Generated | PathClass::Minified
        )
    }

    /// The finding as this class reports it: its severity lowered.
    pub fn adjust(self, item: &mut Item, generic_secret: bool) {
        item.path_class = Some(self);
        item.severity = match (item.kind, self) {
            (Kind::Secret, PathClass::Minified) => Severity::Low,
            (
                Kind::Secret,
                PathClass::Test | PathClass::Fixture | PathClass::Docs | PathClass::Example,
            ) if generic_secret => Severity::Low,
            (Kind::Secret, _) => item.severity.min(Severity::Medium),
            (Kind::Code | Kind::Dependency, _) => Severity::Low,
        };
    }
}

/// Directory names (any depth) and what they make of the files below them.
/// The first match from the file upwards wins: `docs/examples/x` is an example.
const DIRS: &[(&str, PathClass)] = &[
    ("node_modules", PathClass::Vendored),
    ("vendor", PathClass::Vendored),
    ("vendored", PathClass::Vendored),
    ("third_party", PathClass::Vendored),
    ("third-party", PathClass::Vendored),
    ("thirdparty", PathClass::Vendored),
    ("bower_components", PathClass::Vendored),
    ("site-packages", PathClass::Vendored),
    ("dist", PathClass::Generated),
    ("generated", PathClass::Generated),
    ("__generated__", PathClass::Generated),
    ("fixtures", PathClass::Fixture),
    ("fixture", PathClass::Fixture),
    ("__fixtures__", PathClass::Fixture),
    ("testdata", PathClass::Fixture),
    ("test_data", PathClass::Fixture),
    ("test-data", PathClass::Fixture),
    ("__snapshots__", PathClass::Fixture),
    ("snapshots", PathClass::Fixture),
    ("tests", PathClass::Test),
    ("test", PathClass::Test),
    ("__tests__", PathClass::Test),
    ("spec", PathClass::Test),
    ("specs", PathClass::Test),
    ("e2e", PathClass::Test),
    ("examples", PathClass::Example),
    ("example", PathClass::Example),
    ("samples", PathClass::Example),
    ("sample", PathClass::Example),
    ("demo", PathClass::Example),
    ("demos", PathClass::Example),
    ("docs_src", PathClass::Example),
    ("tutorial", PathClass::Example),
    ("tutorials", PathClass::Example),
    ("docs", PathClass::Docs),
    ("doc", PathClass::Docs),
    ("documentation", PathClass::Docs),
];

/// The class of a path from its name alone (`/`-separated, relative).
pub fn classify_path(path: &str) -> Option<PathClass> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if [
        ".min.js",
        ".min.mjs",
        ".min.cjs",
        ".min.css",
        "-min.js",
        ".bundle.js",
    ]
    .iter()
    .any(|s| lower.ends_with(s))
        || lower.ends_with(".map")
    {
        return Some(PathClass::Minified);
    }
    if [
        ".pb.go",
        "_pb2.py",
        "_pb2_grpc.py",
        ".pb.rs",
        "_generated.go",
        ".generated.ts",
        ".g.dart",
    ]
    .iter()
    .any(|s| lower.ends_with(s))
    {
        return Some(PathClass::Generated);
    }
    let dirs: Vec<&str> = path.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    // `build/` is output at the top of a project, and may be source deeper down.
    if dirs
        .first()
        .is_some_and(|d| d.eq_ignore_ascii_case("build"))
    {
        return Some(PathClass::Generated);
    }
    for d in dirs.iter().rev() {
        let d = d.to_ascii_lowercase();
        if let Some((_, c)) = DIRS.iter().find(|(n, _)| *n == d) {
            return Some(*c);
        }
    }
    let stem = lower.rsplit_once('.').map_or(lower.as_str(), |(s, _)| s);
    if stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("_spec")
        || stem == "conftest"
        || stem == "tests"
    {
        return Some(PathClass::Test);
    }
    if let Some((_, ext)) = lower.rsplit_once('.')
        && matches!(ext, "md" | "markdown" | "rst" | "adoc" | "asciidoc")
    {
        return Some(PathClass::Docs);
    }
    None
}

/// Markers of a generated file, looked for near its top.
const GENERATED_MARKERS: &[&str] = &[
    "@generated",
    "do not edit",
    "autogenerated",
    "auto-generated",
    "automatically generated",
    "generated by",
    "code generated",
];

/// The class of a file from its name and content: a "generated" header in
/// its first lines, or (for scripts and styles) the long lines of a
/// minified bundle.
pub fn classify(path: &str, text: &str) -> Option<PathClass> {
    if let Some(c) = classify_path(path) {
        return Some(c);
    }
    let head: String = text
        .lines()
        .take(5)
        .collect::<Vec<_>>()
        .join("\n")
        .to_ascii_lowercase();
    if GENERATED_MARKERS.iter().any(|m| head.contains(m)) {
        return Some(PathClass::Generated);
    }
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(
        ext.as_str(),
        "js" | "mjs" | "cjs" | "css" | "json" | "ts" | "jsx" | "tsx"
    ) && minified(text)
    {
        return Some(PathClass::Minified);
    }
    None
}

/// Lines of several thousand characters, and long on average: a bundle.
fn minified(text: &str) -> bool {
    let (mut lines, mut longest) = (0usize, 0usize);
    for l in text.lines() {
        lines += 1;
        longest = longest.max(l.len());
    }
    lines > 0 && longest > 2000 && text.len() / lines > 300
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_path() {
        for (path, class) in [
            ("src/app.py", None),
            ("src/testimony.py", None),
            ("src/latest.py", None),
            ("tests/test_app.py", Some(PathClass::Test)),
            ("pkg/test/helper.js", Some(PathClass::Test)),
            ("src/__tests__/a.tsx", Some(PathClass::Test)),
            ("gin_test.go", Some(PathClass::Test)),
            ("src/foo.spec.ts", Some(PathClass::Test)),
            ("lib/foo.test.js", Some(PathClass::Test)),
            ("conftest.py", Some(PathClass::Test)),
            ("test_utils.py", Some(PathClass::Test)),
            ("tests/fixtures/key.pem", Some(PathClass::Fixture)),
            ("testdata/certificate/key.pem", Some(PathClass::Fixture)),
            ("docs/index.rst", Some(PathClass::Docs)),
            ("README.md", Some(PathClass::Docs)),
            ("docs/examples/app.py", Some(PathClass::Example)),
            ("examples/jwt/src/main.rs", Some(PathClass::Example)),
            ("docs_src/security/tutorial004.py", Some(PathClass::Example)),
            ("vendor/github.com/x/y.go", Some(PathClass::Vendored)),
            (
                "web/node_modules/lodash/index.js",
                Some(PathClass::Vendored),
            ),
            ("third_party/zlib/z.c", Some(PathClass::Vendored)),
            ("dist/axios.js", Some(PathClass::Generated)),
            ("build/lib/x.py", Some(PathClass::Generated)),
            ("src/build/mod.rs", None),
            ("api/v1/service.pb.go", Some(PathClass::Generated)),
            ("dist/axios.min.js", Some(PathClass::Minified)),
            ("static/app.min.css", Some(PathClass::Minified)),
            ("dist/node/axios.cjs.map", Some(PathClass::Minified)),
        ] {
            assert_eq!(classify_path(path), class, "{path}");
        }
    }

    #[test]
    fn classes_by_content() {
        assert_eq!(
            classify(
                "api/types.go",
                "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage api\n"
            ),
            Some(PathClass::Generated)
        );
        assert_eq!(
            classify("src/schema.py", "# @generated by a tool\nX = 1\n"),
            Some(PathClass::Generated)
        );
        let bundle = format!("!function(e){{{}}}();\n", "var a=1;".repeat(600));
        assert_eq!(
            classify("static/app.js", &bundle),
            Some(PathClass::Minified)
        );
        // Long data in Python is not a bundle; ordinary code is nothing.
        assert_eq!(classify("src/data.py", &bundle), None);
        assert_eq!(classify("src/app.js", "const a = 1;\n"), None);
        // The marker counts only near the top.
        let late = format!("{}// generated by hand\n", "x = 1\n".repeat(10));
        assert_eq!(classify("src/a.js", &late), None);
    }

    #[test]
    fn severities_per_class_and_kind() {
        let item = |kind| Item::sample(kind, "r", "tests/a.py", 1);
        let adjusted = |class: PathClass, kind, generic| {
            let mut i = item(kind);
            class.adjust(&mut i, generic);
            assert_eq!(i.path_class, Some(class));
            i.severity
        };
        assert_eq!(
            adjusted(PathClass::Test, Kind::Secret, false),
            Severity::Medium
        );
        assert_eq!(adjusted(PathClass::Test, Kind::Secret, true), Severity::Low);
        assert_eq!(adjusted(PathClass::Docs, Kind::Secret, true), Severity::Low);
        assert_eq!(
            adjusted(PathClass::Vendored, Kind::Secret, true),
            Severity::Medium
        );
        assert_eq!(
            adjusted(PathClass::Minified, Kind::Secret, false),
            Severity::Low
        );
        assert_eq!(adjusted(PathClass::Test, Kind::Code, false), Severity::Low);
        assert_eq!(
            adjusted(PathClass::Example, Kind::Dependency, false),
            Severity::Low
        );
        assert!(!PathClass::Minified.runs_code_checks());
        assert!(!PathClass::Vendored.runs_code_checks());
        assert!(PathClass::Test.runs_code_checks());
    }
}
