//! The detector against labelled public corpora, read from `../shared/data`
//! (never copied into the repository):
//! - a public rule corpus's positive and negative examples (one string each),
//! - gitleaks' default rule file, which `--config` must load and run.
//!
//! Floors sit a little under the measured figures, so a regression fails.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use ztguard_secrets::{RawConfig, Ruleset};

struct Example {
    rule: String,
    positive: bool,
    text: String,
}

fn examples() -> Vec<Example> {
    let Some(text) = ztguard_corpus::read("np_rule_examples.tsv") else {
        return Vec::new();
    };
    ztguard_corpus::rows(&text, 3)
        .into_iter()
        .filter_map(|mut f| {
            let text = f.pop()?;
            let label = f.pop()?;
            let rule = f.pop()?;
            Some(Example {
                rule,
                positive: label == "positive",
                text,
            })
        })
        .collect()
}

/// Rules of the corpus that detect things ztguard deliberately does not
/// report as secrets: identifiers and URLs that are not credentials by
/// themselves, and hashes of passwords.
fn out_of_scope(rule: &str) -> bool {
    [
        "np.arn.", // AWS resource names
        "np.s3.",  // bucket names
        "np.azure.5",
        "np.generic.6",
        "np.googleapis.", // OAuth client ids
        "np.google.1",
        "np.google.2",
        "np.salesforce.1", // instance URLs
        "np.bcrypt.",
        "np.md5crypt.",
        "np.sha256crypt.",
        "np.sha512crypt.",
        "np.blowfish.",
        "np.pwhash.",
        "np.ipv4.",
        "np.email.",
        "np.hashes.",
        "np.uri.",
        "np.reactapp.1", // user names
        "np.gcs.",       // bucket host names
        "np.shopify.1",  // shop domains
        "np.linkedin.1",
        "np.age.1",       // age recipients are public keys
        "np.krb5.",       // Kerberos hashes
        "np.hashicorp.7", // unseal key shares without a marker
    ]
    .iter()
    .any(|p| rule.starts_with(p))
}

#[test]
fn builtin_rules_find_the_corpus_positives() {
    let set = Ruleset::builtin().unwrap();
    let all = examples();
    let positives: Vec<&Example> = all
        .iter()
        .filter(|e| e.positive && !out_of_scope(&e.rule))
        .collect();
    let missed: Vec<&&Example> = positives
        .iter()
        .filter(|e| set.scan(None, &e.text).is_empty())
        .collect();
    let found = positives.len() - missed.len();
    let recall = found as f64 / positives.len() as f64;
    eprintln!(
        "positives found: {found}/{} ({:.1}%)",
        positives.len(),
        recall * 100.0
    );
    for m in missed.iter().take(400) {
        eprintln!(
            "  missed {}: {}",
            m.rule,
            m.text.chars().take(100).collect::<String>()
        );
    }
    assert!(positives.len() > 350, "corpus shrank: {}", positives.len());
    assert!(recall >= 0.72, "recall {recall:.3} under the floor");
}

#[test]
fn builtin_rules_stay_quiet_on_most_negatives() {
    let set = Ruleset::builtin().unwrap();
    let negatives: Vec<Example> = examples().into_iter().filter(|e| !e.positive).collect();
    let flagged: Vec<&Example> = negatives
        .iter()
        .filter(|e| !set.scan(None, &e.text).is_empty())
        .collect();
    for f in &flagged {
        eprintln!(
            "  flagged {}: {}",
            f.rule,
            f.text.chars().take(100).collect::<String>()
        );
    }
    let rate = flagged.len() as f64 / negatives.len() as f64;
    eprintln!("negatives flagged: {}/{}", flagged.len(), negatives.len());
    // A negative is only asserted not to match its own rule; some are real
    // secrets of another kind. Most must still be quiet.
    assert!(negatives.len() > 100);
    assert!(rate <= 0.25, "flagged {rate:.3} of the negatives");
}

#[test]
fn gitleaks_default_config_loads_and_detects() {
    let path = ztguard_corpus::dir().join("gitleaks-default.toml");
    if ztguard_corpus::read("gitleaks-default.toml").is_none() {
        return;
    }
    let cfg = RawConfig::load(&path).unwrap();
    assert!(cfg.rules.len() > 200, "{} rules", cfg.rules.len());
    let set = Ruleset::new(cfg).unwrap();
    let errors = set.validate();
    assert!(errors.is_empty(), "{errors:#?}");
    let all = examples();
    let positives: Vec<&Example> = all.iter().filter(|e| e.positive).collect();
    let found = positives
        .iter()
        .filter(|e| !set.scan(None, &e.text).is_empty())
        .count();
    eprintln!("gitleaks rules find {found}/{}", positives.len());
    // gitleaks is tuned for other text than these one-line examples: the
    // point is that its file loads, compiles and finds a good share.
    assert!(found * 100 >= positives.len() * 38, "{found}");
}

#[test]
fn no_finding_ever_carries_the_secret() {
    let set = Ruleset::builtin().unwrap();
    for e in examples().iter().filter(|e| e.positive) {
        for f in set.scan(None, &e.text) {
            let json = serde_json::to_string(&f).unwrap();
            let secret = &e.text[f.span.0..f.span.1];
            if secret.chars().count() >= 8 {
                assert!(!json.contains(secret), "{} leaked in {json}", f.rule_id);
            }
        }
    }
}
