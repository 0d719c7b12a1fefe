//! `ztguard scan --format sarif` checked by Microsoft's SARIF validator (the
//! SARIF SDK's multitool, which GitHub's code-scanning documentation points
//! to): the schema and the specification's rules, with no error and no
//! warning beyond the optional tool link.
//!
//! Needs the validator under `target/` (`bash .ci/install-sarif-multitool`;
//! `.ci/run` does it). Without it the test says so and passes outside CI;
//! under CI it fails.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::Env;
use serde_json::Value;

fn validator() -> Option<PathBuf> {
    let bin = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
    ));
    if bin.exists() {
        return Some(bin);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must validate SARIF: run `bash .ci/install-sarif-multitool`"
    );
    eprintln!("skipping: no SARIF validator (bash .ci/install-sarif-multitool)");
    None
}

#[test]
fn sarif_output_passes_the_sarif_validator() {
    let Some(bin) = validator() else { return };
    let e = Env::new();
    let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5");
    std::fs::write(
        e.project.join("app.py"),
        format!("import os\ntoken = \"{token}\"\nos.system(\"ls \" + d)\n"),
    )
    .unwrap();
    std::fs::write(
        e.project.join("package.json"),
        "{\"dependencies\": {\"lodahs\": \"1.0.0\"}}\n",
    )
    .unwrap();
    let report = e.home.join("report.sarif");
    let out = e.run(
        &["scan", "--format", "sarif", "-o", report.to_str().unwrap()],
        "",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let rules: Vec<&str> = findings["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["ruleId"].as_str())
        .collect();
    for rule in ["github-pat", "py-command-injection", "dep-typosquat"] {
        assert!(rules.contains(&rule), "{rule} not in {rules:?}");
    }

    let verdict = e.home.join("validation.sarif");
    let out = Command::new(&bin)
        .arg("validate")
        .arg(&report)
        .arg("--output")
        .arg(&verdict)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&verdict).unwrap()).unwrap();
    let results = v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let problems: Vec<String> = results
        .iter()
        .filter(|r| r["ruleId"] != "SARIF2005") // informationUri: optional, no project site to name
        .map(|r| format!("{} {}: {}", r["level"], r["ruleId"], r["message"]))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}
