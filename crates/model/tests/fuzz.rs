//! Fuzzing the three input parsers (scenario files, trial files, model files) on the stable
//! toolchain: every case is a file of the project's own corpus with a few random, grammar-aware
//! mutations (a number replaced by an extreme one, a string by an odd one, a line deleted,
//! duplicated or swapped, a name exchanged for another of the same file, the text cut short,
//! stray bytes). A parser may refuse a case, with any message, but must never panic.
//!
//! `cargo test --release --test fuzz` runs a short budget (a few seconds). A long run:
//!
//! ```text
//! OSTEOSIM_FUZZ_SECONDS=600 cargo test --workspace --release --test fuzz -- --nocapture
//! ```
//!
//! `OSTEOSIM_FUZZ_SEED` picks the stream (the default is fixed, so a run is reproducible). A
//! panic prints the seed, the case number and the input; each one found becomes a regression
//! test below.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use osteosim_engine::format::SourceFile;
use osteosim_engine::Model;
use osteosim_model::builtin::MODEL_FILES;
use osteosim_model::catalogue::Catalogue;
use osteosim_model::scenario::Scenario;
use osteosim_model::virtual_trial::file::{Names, TrialFile};

/// A small, seedable generator (SplitMix64): enough for picking mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NUMBERS: &[&str] = &[
    "-1",
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "inf",
    "-inf",
    "18446744073709551616",
    "9223372036854775807",
    "99999999999",
    "0.5",
    "3",
    "1e9",
    "\"12\"",
    "[]",
    "{}",
    "true",
];

const STRINGS: &[&str] = &[
    "\"\"",
    "\"..\"",
    "\"../../../../etc/passwd\"",
    "\"/dev/zero\"",
    "\"\\u0000\"",
    "\"mouse\"",
    "\"human\"",
    "\"male\"",
    "\"ovariectomy\"",
    "\"denosumab\"",
    "\"x * 1e308 * 1e308\"",
    "\"((((((((((x))))))))))\"",
    "\"1/0\"",
    "\"steady\"",
    "\"1/day\"",
    "\"mg/L\"",
    "\"ℵ\"",
];

/// Byte offset and length of a token.
type Spans = Vec<(usize, usize)>;

/// Byte offsets and lengths of numbers, quoted strings and identifiers in `text`.
fn tokens(text: &str) -> (Spans, Spans, Spans) {
    let bytes = text.as_bytes();
    let (mut numbers, mut strings, mut names) = (Vec::new(), Vec::new(), Vec::new());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += 1;
            }
            strings.push((start, (i + 1).min(bytes.len()) - start));
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'-' | b'+'))
            {
                i += 1;
            }
            numbers.push((start, i - start));
            continue;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            names.push((start, i - start));
            continue;
        }
        i += 1;
    }
    (numbers, strings, names)
}

fn splice(text: &str, (start, len): (usize, usize), with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..start]);
    out.push_str(with);
    out.push_str(&text[start + len..]);
    out
}

/// One random mutation of `text` (always valid UTF-8).
fn mutate(rng: &mut Rng, text: &str) -> String {
    let (numbers, strings, names) = tokens(text);
    let lines: Vec<&str> = text.lines().collect();
    match rng.below(9) {
        0 if !numbers.is_empty() => {
            let with = rng.pick(NUMBERS).to_string();
            splice(text, *rng.pick(&numbers), &with)
        }
        1 if !strings.is_empty() => {
            let with = rng.pick(STRINGS).to_string();
            splice(text, *rng.pick(&strings), &with)
        }
        2 if names.len() > 1 => {
            let (a, b) = (*rng.pick(&names), *rng.pick(&names));
            let with = text[b.0..b.0 + b.1].to_string();
            splice(text, a, &with)
        }
        3 if !lines.is_empty() => {
            let k = rng.below(lines.len());
            let mut v = lines.clone();
            v.remove(k);
            v.join("\n")
        }
        4 if !lines.is_empty() => {
            let k = rng.below(lines.len());
            let mut v = lines.clone();
            v.insert(k, lines[k]);
            v.join("\n")
        }
        5 if lines.len() > 1 => {
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            let mut v = lines.clone();
            v.swap(a, b);
            v.join("\n")
        }
        6 => {
            let mut cut = rng.below(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_string()
        }
        7 => {
            let mut at = rng.below(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let junk = *rng.pick(&[
                "[", "]", "=", "\"", "[[", "\n[x]\n", "\u{feff}", "'''", "\\", "#",
            ]);
            splice(text, (at, 0), junk)
        }
        _ if !numbers.is_empty() => {
            // A number scaled by a large factor: values, not syntax.
            let (s, l) = *rng.pick(&numbers);
            let with = format!(
                "{}e{}",
                &text[s..s + l],
                *rng.pick(&["3", "-3", "30", "300"])
            );
            splice(text, (s, l), &with)
        }
        _ => text.to_string(),
    }
}

fn toml_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                out.extend(toml_files(&p));
            } else if p.extension().is_some_and(|e| e == "toml") {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    out.push(text);
                }
            }
        }
    }
    out
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

#[derive(Clone, Copy, Debug)]
enum Parser {
    Scenario,
    Trial,
    ModelFile,
}

/// Runs `case` through `parser`; `Err` carries a panic's message.
fn feed(parser: Parser, case: &str, layer: usize) -> Result<(), String> {
    let catalogue = Catalogue::builtin();
    let model = osteosim_model::builtin::model();
    let result = catch_unwind(AssertUnwindSafe(|| match parser {
        Parser::Scenario => {
            let _ = Scenario::parse(case, "fuzz.toml", catalogue);
        }
        Parser::Trial => {
            let parameters: Vec<&str> = model.parameter_names().collect();
            let columns: Vec<&str> = model.observables.iter().map(|o| o.name.as_str()).collect();
            let names = Names {
                parameters: &parameters,
                columns: &columns,
                catalogue,
            };
            let _ = TrialFile::from_toml_str(case, "fuzz.toml", &names);
        }
        Parser::ModelFile => {
            let mut files: Vec<SourceFile> = MODEL_FILES
                .iter()
                .map(|(name, text)| SourceFile::new(*name, *text))
                .collect();
            files[layer] = SourceFile::new(MODEL_FILES[layer].0, case);
            let manifest = files.remove(0);
            if let Ok(m) = Model::from_sources(manifest, files) {
                let _ = Catalogue::from_model(&m);
            }
        }
    }));
    result.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

fn budget() -> Duration {
    let seconds = std::env::var("OSTEOSIM_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(4.0);
    Duration::from_secs_f64(seconds.max(0.0))
}

#[test]
fn the_parsers_never_panic_on_mutated_inputs() {
    let scenarios: Vec<String> = [
        repo().join("validation").join("scenarios"),
        repo()
            .join("crates")
            .join("model")
            .join("tests")
            .join("scenarios"),
    ]
    .iter()
    .flat_map(|d| toml_files(d))
    .collect();
    let trials = toml_files(&repo().join("validation").join("trials"));
    assert!(
        !scenarios.is_empty() && !trials.is_empty(),
        "the corpus is missing"
    );
    let seed = std::env::var("OSTEOSIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0057_e051_u64);
    let mut rng = Rng(seed);
    let deadline = Instant::now() + budget();
    let mut cases = [0u64; 3];
    // Silence the default hook while cases run: a panic is reported below with its input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failure = None;
    while Instant::now() < deadline && failure.is_none() {
        let which = rng.below(3);
        let (parser, base, layer) = match which {
            0 => (Parser::Scenario, rng.pick(&scenarios).clone(), 0),
            1 => (Parser::Trial, rng.pick(&trials).clone(), 0),
            _ => {
                let layer = rng.below(MODEL_FILES.len());
                (Parser::ModelFile, MODEL_FILES[layer].1.to_string(), layer)
            }
        };
        let mut case = base;
        for _ in 0..1 + rng.below(4) {
            case = mutate(&mut rng, &case);
        }
        cases[which] += 1;
        if let Err(message) = feed(parser, &case, layer) {
            failure = Some(format!(
                "{parser:?} parser panicked (seed {seed}, case {}): {message}\n--- input ---\n{case}",
                cases.iter().sum::<u64>()
            ));
        }
    }
    std::panic::set_hook(hook);
    eprintln!(
        "fuzzed {} scenario, {} trial and {} model-file cases in {:.0?}",
        cases[0],
        cases[1],
        cases[2],
        budget()
    );
    if let Some(f) = failure {
        panic!("{f}");
    }
    assert!(
        cases.iter().all(|c| *c > 0),
        "every parser gets cases: {cases:?}"
    );
}
