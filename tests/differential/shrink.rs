//! Shrinks a script on which the libraries disagree to a short one on which
//! they still do (delta debugging over lines, then over tokens).
//!
//! Passes, repeated until one changes nothing or the budget of checks is
//! spent: drop chunks of lines (halves, quarters, ... single lines, from the
//! end back, so later operations go first); then simplify within lines
//! (drop a batch entry or a flag, empty or halve a generated value, fewer
//! iterator steps, drop an option token) and across lines (rename a long
//! key literal everywhere to a short one, drop an option token from every
//! line). Every candidate is kept only if `fails` still says it disagrees;
//! the result is never longer than the input.

use std::collections::BTreeSet;

/// The shrinker's state: the smallest failing script so far and the checks
/// left.
struct Shrinker<F> {
    lines: Vec<String>,
    fails: F,
    budget: usize,
    checks: usize,
}

impl<F: FnMut(&[String]) -> bool> Shrinker<F> {
    /// Tries a candidate; keeps it if it still fails.
    fn try_lines(&mut self, candidate: Vec<String>) -> bool {
        if self.checks >= self.budget || candidate == self.lines {
            return false;
        }
        self.checks += 1;
        if (self.fails)(&candidate) {
            self.lines = candidate;
            true
        } else {
            false
        }
    }

    fn drop_chunks(&mut self) -> bool {
        let mut changed = false;
        let mut size = self.lines.len().div_ceil(2);
        while size >= 1 {
            let mut end = self.lines.len();
            while end > 0 && self.checks < self.budget {
                let start = end.saturating_sub(size);
                let mut candidate = self.lines.clone();
                candidate.drain(start..end);
                changed |= self.try_lines(candidate);
                end = start;
            }
            size /= 2;
        }
        changed
    }

    fn simplify_lines(&mut self) -> bool {
        let mut changed = false;
        let mut i = 0;
        while i < self.lines.len() && self.checks < self.budget {
            let mut improved = true;
            while improved {
                improved = false;
                for replacement in line_candidates(&self.lines[i]) {
                    let mut candidate = self.lines.clone();
                    candidate[i] = replacement;
                    if self.try_lines(candidate) {
                        improved = true;
                        changed = true;
                        break;
                    }
                }
            }
            i += 1;
        }
        changed
    }

    fn simplify_globally(&mut self) -> bool {
        let mut changed = false;
        let tokens: BTreeSet<String> = self
            .lines
            .iter()
            .flat_map(|l| {
                crate::script::body(l)
                    .split(' ')
                    .skip(1)
                    .map(str::to_string)
            })
            .collect();
        let mut fresh = 0;
        for token in tokens {
            if self.checks >= self.budget {
                break;
            }
            let replacement = if token.starts_with('\'') && token.len() > 4 {
                // A short literal no line uses yet.
                loop {
                    fresh += 1;
                    let name = format!("'k{fresh}");
                    if !self.lines.iter().any(|l| l.contains(&name)) {
                        break Some(name);
                    }
                }
            } else if token.contains('=') && !token.starts_with('+') {
                None
            } else {
                continue;
            };
            let candidate = self
                .lines
                .iter()
                .map(|l| replace_token(l, &token, replacement.as_deref()))
                .collect();
            changed |= self.try_lines(candidate);
        }
        changed
    }
}

/// The line with every token equal to `token` replaced (or removed).
fn replace_token(line: &str, token: &str, replacement: Option<&str>) -> String {
    let (body, note) = match line.split_once(" |") {
        Some((b, n)) => (b, format!(" |{n}")),
        None => (line, String::new()),
    };
    let tokens: Vec<&str> = body
        .split(' ')
        .filter_map(|t| if t == token { replacement } else { Some(t) })
        .collect();
    tokens.join(" ") + &note
}

/// Simpler versions of one line, most aggressive first.
fn line_candidates(line: &str) -> Vec<String> {
    let (body, note) = match line.split_once(" |") {
        Some((b, n)) => (b, format!(" |{n}")),
        None => (line, String::new()),
    };
    let tokens: Vec<&str> = body.split(' ').collect();
    let with = |i: usize, n: usize, new: &[&str]| -> String {
        let mut t: Vec<&str> = tokens.clone();
        t.splice(i..i + n, new.iter().copied());
        t.join(" ") + &note
    };
    let mut out = Vec::new();
    if tokens[0] == "batch" {
        let mut i = 1;
        while i < tokens.len() {
            let n = match tokens[i] {
                "p" => 3,
                "d" => 2,
                _ => 1,
            };
            out.push(with(i, n.min(tokens.len() - i), &[]));
            i += n;
        }
    }
    for (i, t) in tokens.iter().enumerate().skip(1) {
        if t.starts_with('+') {
            out.push(with(i, 1, &[]));
        } else if let Some(gen) = t.strip_prefix('*') {
            let (len, seed) = gen.split_once('.').unwrap_or((gen, "0"));
            let len: usize = len.parse().unwrap_or(0);
            out.push(with(i, 1, &["'"]));
            if len > 1 {
                out.push(with(i, 1, &[&format!("*{}.{seed}", len / 2)]));
            }
        } else if t.contains('=') && !t.starts_with("cmp=") {
            out.push(with(i, 1, &[]));
        }
    }
    if matches!(tokens[0], "next" | "prev") && tokens.len() == 3 {
        if let Ok(n) = tokens[2].parse::<u64>() {
            if n > 1 {
                out.push(with(2, 1, &["1"]));
                out.push(with(2, 1, &[&(n / 2).to_string()]));
            }
        }
    }
    out
}

/// The shortest failing script found, and how many checks it took.
pub fn shrink(
    lines: &[String],
    fails: impl FnMut(&[String]) -> bool,
    budget: usize,
) -> (Vec<String>, usize) {
    let mut s = Shrinker {
        lines: lines
            .iter()
            .filter(|l| crate::script::is_operation(l))
            .cloned()
            .collect(),
        fails,
        budget,
        checks: 0,
    };
    loop {
        let mut changed = s.drop_chunks();
        changed |= s.simplify_lines();
        changed |= s.simplify_globally();
        if !changed || s.checks >= s.budget {
            break;
        }
    }
    (s.lines, s.checks)
}
