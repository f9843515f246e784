//! "Did you mean": the one way osteosim finds the names close to a misspelt one, for model
//! files, units, expressions, scenarios and trial files alike.

/// The candidates close enough to `input` to suggest, best first, at most three (ties are all
/// kept, in the candidates' order):
///
/// 1. those equal to `input` ignoring ASCII case;
/// 2. otherwise those at the smallest edit distance (optimal string alignment: insertions,
///    deletions, substitutions and swaps of neighbours, after ASCII case folding), when it is
///    small for the input's length: 1 for 2-5 characters, 2 for 6-9, then 3 in 10;
/// 3. otherwise the first candidate that starts with an `input` of three characters or more.
///
/// Inputs of one character or none get no suggestion.
pub fn close_matches<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let same_case: Vec<&'a str> = candidates
        .iter()
        .copied()
        .filter(|c| c.eq_ignore_ascii_case(input))
        .take(3)
        .collect();
    if !same_case.is_empty() {
        return same_case;
    }
    let length = input.chars().count();
    let max_distance = match length {
        0 | 1 => return Vec::new(),
        2..=5 => 1,
        6..=9 => 2,
        n => 3 * n / 10,
    };
    let folded = input.to_ascii_lowercase();
    let scored: Vec<(usize, &'a str)> = candidates
        .iter()
        .map(|c| (strsim::osa_distance(&folded, &c.to_ascii_lowercase()), *c))
        .filter(|&(d, _)| d <= max_distance)
        .collect();
    if let Some(best) = scored.iter().map(|&(d, _)| d).min() {
        return scored
            .into_iter()
            .filter(|&(d, _)| d == best)
            .map(|(_, c)| c)
            .take(3)
            .collect();
    }
    if length >= 3 {
        if let Some(c) = candidates.iter().find(|c| c.starts_with(&folded)) {
            return vec![c];
        }
    }
    Vec::new()
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`": names quoted with `quote` on both sides.
pub fn alternatives(names: &[&str], quote: char) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{quote}{n}{quote}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// "; did you mean `x`?" (or "`x` or `y`") for `name` among `candidates`, empty when nothing
/// is close (see [`close_matches`]).
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let close = close_matches(name, candidates);
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", alternatives(&close, '`'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_found_and_far_ones_are_not() {
        let units = ["mL", "L", "ug", "mg", "ng", "day", "h"];
        assert_eq!(close_matches("ml", units), ["mL"]);
        assert_eq!(close_matches("mLL", units), ["mL"]);
        assert_eq!(close_matches("ug", units), ["ug"]);
        assert_eq!(close_matches("xg", units), ["ug", "mg", "ng"]);
        assert_eq!(close_matches("days", units), ["day"]);
        assert!(close_matches("x", units).is_empty());
        assert!(close_matches("furlong", units).is_empty());
        let names = [
            "osteoclast_apoptosis_rate",
            "osteoblast_apoptosis_rate",
            "tnf_gene",
        ];
        assert_eq!(
            close_matches("osteoclast_apoptosis_rat", names),
            ["osteoclast_apoptosis_rate"]
        );
        assert_eq!(close_matches("tnf", names), ["tnf_gene"]);
        assert_eq!(
            close_matches("denosumb", ["denosumab", "romosozumab"]),
            ["denosumab"]
        );
        assert_eq!(close_matches("inhbiit", ["inhibit", "min"]), ["inhibit"]);
    }

    #[test]
    fn hints_read_as_english() {
        assert_eq!(alternatives(&[], '`'), "");
        assert_eq!(alternatives(&["a"], '`'), "`a`");
        assert_eq!(alternatives(&["a", "b"], '"'), "\"a\" or \"b\"");
        assert_eq!(alternatives(&["a", "b", "c"], '`'), "`a`, `b` or `c`");
        assert_eq!(
            did_you_mean("mix", ["min", "max"]),
            "; did you mean `min` or `max`?"
        );
        assert_eq!(did_you_mean("zzz", ["min", "max"]), "");
    }
}
