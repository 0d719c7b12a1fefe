//! Build and test tools, and the files each one obeys.
//!
//! A build or test tool does what the files of the directory it works in
//! say: `make` runs the Makefile's recipes, `npm test` the package.json's
//! script (and its `pretest`), `cargo build` every build.rs, `pytest`
//! imports each conftest.py, `go generate` runs the `//go:generate` lines
//! of the Go files, `dotnet build` the `Exec` tasks of the project files.
//! Those files are code. Two consequences for a guard:
//!
//! - run in another directory (`cd /elsewhere && make`, `go test
//!   /elsewhere/...`, a hook whose cwd is elsewhere), the tool runs that
//!   directory's code, not the user's project's;
//! - run right after the same command line wrote one of those files
//!   (`echo … > Makefile && make`, `sed -i … package.json && npm test`,
//!   `cp /elsewhere/build.rs . && cargo build`), it runs what the line wrote.
//!
//! This module is the one list of those tools and files. The files are
//! patterns relative to the directory the tool works in: `NAME` a file
//! directly in it (`*` and `?` match within a name: `*.csproj`),
//! `DIR/NAME` a path below it, `**/` any number of directories
//! (`**/conftest.py` is a conftest.py anywhere below, or in it), and a
//! trailing `/**` everything under a directory (`.cargo/**`).
//!
//! Listed are the files that configure a build or hook into it: build
//! scripts, manifests with scripts, task files, plugins and configuration
//! that can load code. The sources and tests being developed are not: a
//! same-line edit of `src/lib.rs` before `cargo test` is everyday work,
//! and a source or test file named as an operand is judged as such (see
//! `runs_operands` in the option specs).

/// Which calls of a tool obey its files.
#[derive(Clone, Copy, Debug)]
enum Subs {
    /// Every call (the tool reads its configuration whatever it is asked).
    Any,
    /// Only these subcommands.
    Only(&'static [&'static str]),
    /// Every call but these subcommands (which only query a registry or print help).
    Except(&'static [&'static str]),
}

/// One row of the table: tools, the calls that count, the files obeyed.
struct Row {
    tools: &'static [&'static str],
    subs: Subs,
    files: &'static [&'static str],
}

const MAKE: &[&str] = &["**/Makefile", "**/makefile", "**/GNUmakefile", "**/*.mk"];
const CARGO: &[&str] = &[
    "**/Cargo.toml",
    "**/build.rs",
    "**/.cargo/**",
    "rust-toolchain",
    "rust-toolchain.toml",
];
/// Package managers run package.json scripts, with their `pre`/`post` and
/// install lifecycle scripts, and those scripts run tools configured by
/// JavaScript files (`jest.config.js`, `vite.config.ts`, `.babelrc.js`).
const NODE: &[&str] = &[
    "**/package.json",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".yarn/**",
    ".pnpmfile.cjs",
    "pnpm-workspace.yaml",
    "bunfig.toml",
    "deno.json",
    "deno.jsonc",
    "*.config.js",
    "*.config.cjs",
    "*.config.mjs",
    "*.config.ts",
    "*.config.mts",
    "*.config.cts",
    ".*rc.js",
    ".*rc.cjs",
    ".*rc.mjs",
    "turbo.json",
    "nx.json",
    "**/project.json",
];
const PYTEST: &[&str] = &[
    "**/conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
];
/// Python package builds run the build backend the project names, and its hooks.
const PY_BUILD: &[&str] = &[
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "hatch.toml",
    "hatch_build.py",
    "build.py",
    "uv.toml",
    "pdm_build.py",
];
const TOX: &[&str] = &[
    "tox.ini",
    "toxfile.py",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
];
const NOX: &[&str] = &["noxfile.py"];
const GO_MODULE: &[&str] = &["go.mod", "go.work", "**/go.mod"];
/// `go generate` runs the `//go:generate` lines of any Go file; `go test`
/// and `go run` compile and run them (`TestMain`, `init`).
const GO_CODE: &[&str] = &["go.mod", "go.work", "**/go.mod", "**/*.go"];
const CMAKE: &[&str] = &[
    "**/CMakeLists.txt",
    "**/*.cmake",
    "CMakePresets.json",
    "CMakeUserPresets.json",
    "CMakeCache.txt",
    "Makefile",
    "build.ninja",
];
const CTEST: &[&str] = &["**/CTestTestfile.cmake", "**/*.cmake"];
const NINJA: &[&str] = &["**/*.ninja"];
const MESON: &[&str] = &["**/meson.build", "meson_options.txt", "meson.options"];
const ESLINT: &[&str] = &["eslint.config.*", ".eslintrc*", "package.json"];
const PRETTIER: &[&str] = &[".prettierrc*", "prettier.config.*", "package.json"];
const JS_TEST: &[&str] = &[
    "jest.config.*",
    "vitest.config.*",
    "vitest.workspace.*",
    "vite.config.*",
    ".mocharc*",
    "babel.config.*",
    ".babelrc*",
    "package.json",
    "tsconfig.json",
];
const TS_RUN: &[&str] = &[
    "tsconfig.json",
    "package.json",
    "deno.json",
    "deno.jsonc",
    "bunfig.toml",
];
const MDBOOK: &[&str] = &["book.toml"];
/// MSBuild project files run `Exec` tasks; `Directory.Build.*` are imported by every project below.
const DOTNET: &[&str] = &[
    "**/*.csproj",
    "**/*.fsproj",
    "**/*.vbproj",
    "**/*.proj",
    "**/*.sln",
    "**/*.slnx",
    "**/*.props",
    "**/*.targets",
    "global.json",
    "nuget.config",
    "NuGet.config",
    "NuGet.Config",
];
const RUBY: &[&str] = &[
    "Gemfile",
    "gems.rb",
    "Rakefile",
    "rakefile",
    "Rakefile.rb",
    "rakelib/**",
    "**/*.rake",
    ".rspec",
    ".rspec-local",
    "spec/spec_helper.rb",
    "spec/rails_helper.rb",
    ".bundle/config",
];
const JUST: &[&str] = &["justfile", "Justfile", ".justfile", "**/*.just"];
const TASK: &[&str] = &[
    "Taskfile.yml",
    "Taskfile.yaml",
    "taskfile.yml",
    "taskfile.yaml",
    "Taskfile.dist.yml",
    "Taskfile.dist.yaml",
];
const MAVEN: &[&str] = &["**/pom.xml", ".mvn/**"];
const GRADLE: &[&str] = &[
    "**/build.gradle",
    "**/build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "gradle.properties",
    "gradle/**",
    "buildSrc/**",
    "gradlew",
];
const MIX: &[&str] = &["mix.exs", "config/**"];
const SPHINX: &[&str] = &["**/conf.py"];
const PRE_COMMIT: &[&str] = &[".pre-commit-config.yaml", ".pre-commit-hooks.yaml"];
const GOLANGCI: &[&str] = &[".golangci.*", ".custom-gcl.yml"];
/// git obeys its repository's configuration (pagers, fsmonitor, hooks,
/// filters); `.gitattributes` only names filters that configuration defines.
const GIT: &[&str] = &[".git/config", ".git/hooks/**"];

/// Registry queries and help: they run none of the project's files.
const PM_QUERIES: &[&str] = &[
    "view", "info", "show", "v", "help", "search", "whoami", "ping", "login", "logout",
];

const TABLE: &[Row] = &[
    Row {
        tools: &["make", "gmake", "bmake", "remake"],
        subs: Subs::Any,
        files: MAKE,
    },
    Row {
        tools: &["cargo"],
        subs: Subs::Any,
        files: CARGO,
    },
    Row {
        tools: &["npm", "pnpm", "yarn"],
        subs: Subs::Except(PM_QUERIES),
        files: NODE,
    },
    Row {
        tools: &["bun", "deno"],
        subs: Subs::Except(PM_QUERIES),
        files: NODE,
    },
    Row {
        tools: &["nx", "turbo", "lerna"],
        subs: Subs::Any,
        files: NODE,
    },
    Row {
        tools: &["tsx", "ts-node", "ts-node-esm"],
        subs: Subs::Any,
        files: TS_RUN,
    },
    Row {
        tools: &["pytest", "py.test"],
        subs: Subs::Any,
        files: PYTEST,
    },
    // Test discovery imports test*.py, the code being developed.
    Row {
        tools: &["unittest"],
        subs: Subs::Any,
        files: &[],
    },
    Row {
        tools: &["tox"],
        subs: Subs::Any,
        files: TOX,
    },
    Row {
        tools: &["nox"],
        subs: Subs::Any,
        files: NOX,
    },
    // `python -m build` (its command is pyproject-build).
    Row {
        tools: &["pyproject-build"],
        subs: Subs::Any,
        files: PY_BUILD,
    },
    Row {
        tools: &["uv"],
        subs: Subs::Only(&["run", "sync", "build", "lock", "export", "tree"]),
        files: PY_BUILD,
    },
    Row {
        tools: &["poetry", "pdm", "hatch", "rye", "pipenv"],
        subs: Subs::Only(&["run", "install", "sync", "build", "lock", "test", "shell"]),
        files: PY_BUILD,
    },
    Row {
        tools: &["go"],
        subs: Subs::Only(&[
            "build", "vet", "list", "install", "mod", "work", "doc", "clean",
        ]),
        files: GO_MODULE,
    },
    Row {
        tools: &["go"],
        subs: Subs::Only(&["test", "run", "generate", "fix", "tool"]),
        files: GO_CODE,
    },
    Row {
        tools: &["cmake"],
        subs: Subs::Any,
        files: CMAKE,
    },
    Row {
        tools: &["ctest"],
        subs: Subs::Any,
        files: CTEST,
    },
    Row {
        tools: &["ninja", "samu"],
        subs: Subs::Any,
        files: NINJA,
    },
    Row {
        tools: &["meson"],
        subs: Subs::Any,
        files: MESON,
    },
    Row {
        tools: &["eslint"],
        subs: Subs::Any,
        files: ESLINT,
    },
    Row {
        tools: &["prettier"],
        subs: Subs::Any,
        files: PRETTIER,
    },
    Row {
        tools: &["jest", "vitest", "mocha", "_mocha"],
        subs: Subs::Any,
        files: JS_TEST,
    },
    Row {
        tools: &["mdbook"],
        subs: Subs::Only(&["build", "test", "serve", "watch"]),
        files: MDBOOK,
    },
    Row {
        tools: &["dotnet", "msbuild"],
        subs: Subs::Except(&["--version", "--info", "--list-sdks", "help", "new", "nuget"]),
        files: DOTNET,
    },
    Row {
        tools: &["bundle", "bundler", "rake", "rspec"],
        subs: Subs::Any,
        files: RUBY,
    },
    Row {
        tools: &["just"],
        subs: Subs::Any,
        files: JUST,
    },
    Row {
        tools: &["task", "go-task"],
        subs: Subs::Any,
        files: TASK,
    },
    Row {
        tools: &["mvn", "mvnw", "mvnd"],
        subs: Subs::Any,
        files: MAVEN,
    },
    Row {
        tools: &["gradle", "gradlew"],
        subs: Subs::Any,
        files: GRADLE,
    },
    Row {
        tools: &["mix"],
        subs: Subs::Any,
        files: MIX,
    },
    Row {
        tools: &["sphinx-build"],
        subs: Subs::Any,
        files: SPHINX,
    },
    Row {
        tools: &["pre-commit"],
        subs: Subs::Any,
        files: PRE_COMMIT,
    },
    Row {
        tools: &["golangci-lint"],
        subs: Subs::Any,
        files: GOLANGCI,
    },
    Row {
        tools: &["git"],
        subs: Subs::Any,
        files: GIT,
    },
];

/// The files `tool` obeys when called with subcommand `sub`, or None when
/// it is no build or test tool (or this call runs none of its files).
pub fn obeyed_files(tool: &str, sub: Option<&str>) -> Option<&'static [&'static str]> {
    TABLE.iter().find_map(|row| {
        if !row.tools.contains(&tool) {
            return None;
        }
        let counts = match row.subs {
            Subs::Any => true,
            Subs::Only(list) => sub.is_some_and(|s| list.contains(&s)),
            Subs::Except(list) => !sub.is_some_and(|s| list.contains(&s)),
        };
        counts.then_some(row.files)
    })
}

/// Does `rel`, a path relative to the directory a tool works in
/// (components separated by `/`), name a file the tool obeys?
pub fn obeys(files: &[&str], rel: &str) -> bool {
    let path: Vec<&str> = components(rel);
    !path.is_empty()
        && files
            .iter()
            .any(|p| match_components(&components(p), &path, false))
}

/// Could a tree written at `rel_dir` (relative to the directory a tool
/// works in; empty for the directory itself) hold a file the tool obeys?
pub fn may_hold(files: &[&str], rel_dir: &str) -> bool {
    let dir: Vec<&str> = components(rel_dir);
    files
        .iter()
        .any(|p| match_components(&components(p), &dir, true))
}

fn components(p: &str) -> Vec<&str> {
    p.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Match path components against pattern components; with `prefix`, the
/// path need only be a directory some match lies under.
fn match_components(pat: &[&str], path: &[&str], prefix: bool) -> bool {
    match (pat.first(), path.first()) {
        (Some(&"**"), _) => {
            match_components(&pat[1..], path, prefix)
                || (!path.is_empty() && match_components(pat, &path[1..], prefix))
        }
        // The path is used up: as a directory, some file below it may match.
        (Some(_), None) => prefix,
        (None, None) => !prefix,
        (None, Some(_)) => false,
        (Some(p), Some(c)) => glob(p, c) && match_components(&pat[1..], &path[1..], prefix),
    }
}

/// `*` and `?` within one name.
fn glob(pat: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pat.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_has_its_files() {
        let make = obeyed_files("make", None).expect("make");
        assert!(obeys(make, "Makefile"));
        assert!(obeys(make, "sub/dir/Makefile"));
        assert!(obeys(make, "rules.mk"));
        assert!(!obeys(make, "notes.txt"));
        let cargo = obeyed_files("cargo", Some("build")).expect("cargo");
        assert!(obeys(cargo, "build.rs"));
        assert!(obeys(cargo, "crates/x/build.rs"));
        assert!(obeys(cargo, ".cargo/config.toml"));
        assert!(!obeys(cargo, "src/lib.rs"));
        let npm = obeyed_files("npm", Some("test")).expect("npm");
        assert!(obeys(npm, "package.json"));
        assert!(obeys(npm, "jest.config.js"));
        assert!(obeys(npm, ".babelrc.js"));
        assert!(!obeys(npm, "src/index.js"));
        let pytest = obeyed_files("pytest", None).expect("pytest");
        assert!(obeys(pytest, "conftest.py"));
        assert!(obeys(pytest, "tests/unit/conftest.py"));
        assert!(!obeys(pytest, "tests/test_x.py"));
        let generate = obeyed_files("go", Some("generate")).expect("go generate");
        assert!(obeys(generate, "g.go"));
        assert!(obeys(generate, "internal/x/g.go"));
        let dotnet = obeyed_files("dotnet", Some("build")).expect("dotnet");
        assert!(obeys(dotnet, "App/App.csproj"));
        assert!(obeys(dotnet, "Directory.Build.props"));
    }

    #[test]
    fn queries_and_other_tools_obey_nothing() {
        assert!(obeyed_files("npm", Some("view")).is_none());
        assert!(obeyed_files("go", Some("version")).is_none());
        assert!(obeyed_files("cat", None).is_none());
        assert!(obeyed_files("ls", None).is_none());
        assert!(obeyed_files("mdbook", Some("init")).is_none());
        assert!(obeyed_files("mdbook", Some("build")).is_some());
    }

    #[test]
    fn a_tree_may_hold_obeyed_files() {
        let make = obeyed_files("make", None).expect("make");
        assert!(may_hold(make, ""));
        assert!(may_hold(make, "vendor/lib"));
        let mdbook = obeyed_files("mdbook", Some("build")).expect("mdbook");
        assert!(may_hold(mdbook, ""));
        assert!(!may_hold(mdbook, "src"));
        let cargo = obeyed_files("cargo", None).expect("cargo");
        assert!(may_hold(cargo, ".cargo"));
    }

    #[test]
    fn globs_match_within_a_name() {
        assert!(glob("*.csproj", "App.csproj"));
        assert!(glob(".eslintrc*", ".eslintrc.json"));
        assert!(glob("eslint.config.*", "eslint.config.mjs"));
        assert!(!glob("*.mk", "Makefile"));
        assert!(glob("?.go", "g.go"));
    }
}
