//! Criterion benchmarks of the content checks the hook runs on a Write:
//! loading the secret rules, scanning texts of several sizes (with and
//! without the lazy compilation already paid), the code checks, and the
//! dependency checks of an install command.
//!
//! `cargo bench --bench content`. Figures go to BENCHMARKS.md as ratios.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ztguard_code::{Language, check};
use ztguard_secrets::Ruleset;

/// About `size` bytes of ordinary Python: no secrets, many keywords.
fn python(size: usize) -> String {
    let mut s = String::from("import os\nimport json\nimport subprocess\n\n");
    let mut i = 0;
    while s.len() < size {
        i += 1;
        s.push_str(&format!(
            "def handler_{i}(request, token_name='x'):\n    data = json.loads(request.body)\n    value = data.get('key_{i}', os.environ.get('API_TOKEN'))\n    result = subprocess.run(['echo', str(value)], capture_output=True)\n    return {{'status': 'ok', 'password_hint': None, 'n': {i}}}\n\n"
        ));
    }
    s
}

fn benches(c: &mut Criterion) {
    c.bench_function("secrets: parse the built-in rules (JSON)", |b| {
        b.iter(|| black_box(ztguard_secrets::RawConfig::builtin().unwrap()))
    });
    c.bench_function("secrets: load the built-in rules", |b| {
        b.iter(|| black_box(Ruleset::builtin().unwrap()))
    });
    for size in [100usize, 10_000, 1_000_000] {
        let text = python(size);
        c.bench_function(
            &format!("secrets: load + scan {size} B (cold, as the hook)"),
            |b| {
                b.iter(|| {
                    let set = Ruleset::builtin().unwrap();
                    black_box(set.scan(Some("app.py"), &text))
                })
            },
        );
        let set = Ruleset::builtin().unwrap();
        set.scan(Some("app.py"), &text);
        c.bench_function(&format!("secrets: scan {size} B (warm)"), |b| {
            b.iter(|| black_box(set.scan(Some("app.py"), &text)))
        });
        c.bench_function(&format!("code: python {size} B"), |b| {
            b.iter(|| black_box(check(Language::Python, &text)))
        });
    }
    let argv: Vec<String> = "pip install requests flask reqeusts"
        .split(' ')
        .map(str::to_string)
        .collect();
    let checker = ztguard_deps::Checker::default();
    c.bench_function("deps: check `pip install` of 3 packages", |b| {
        b.iter(|| black_box(checker.check_command(&argv)))
    });
}

criterion_group!(content, benches);
criterion_main!(content);
