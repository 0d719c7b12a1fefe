//! The committed JSON Schema (docs/ztguard.schema.json) is the one the
//! policy types generate. Regenerate with
//! `ztguard policy schema > docs/ztguard.schema.json`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

#[test]
fn the_committed_schema_is_the_generated_one() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/ztguard.schema.json"
    );
    let committed = std::fs::read_to_string(path).expect("docs/ztguard.schema.json");
    let generated = serde_json::to_string_pretty(&ztguard_policy::schema()).expect("json") + "\n";
    assert!(
        committed == generated,
        "docs/ztguard.schema.json is stale: run `ztguard policy schema > docs/ztguard.schema.json`"
    );
}

#[test]
fn the_schema_knows_every_section_and_rejects_unknown_keys() {
    let s = ztguard_policy::schema();
    let props = s["properties"].as_object().expect("properties");
    for key in [
        "default",
        "mode",
        "import_claude",
        "extend",
        "files",
        "commands",
        "network",
        "tools",
        "env",
        "scan",
        "audit",
        "monitor",
        "undo",
        "profiles",
        "secrets",
    ] {
        assert!(props.contains_key(key), "{key}");
    }
    assert_eq!(s["additionalProperties"], serde_json::json!(false));
}
