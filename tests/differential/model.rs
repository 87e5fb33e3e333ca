//! A model of what a script's reads must answer: the database as an
//! ordered map (in the comparator's order), snapshots and iterators as
//! copies of it, writes applied in order.
//!
//! `expected` gives, per operation, the exact line the driver must print
//! for a read (`get`, `seekfirst`, `seeklast`, `seek`, `next`, `prev`) on
//! an open database with live handles, and `None` for everything else
//! (errors, properties, sizes, and reads the driver cannot run), where the
//! model has no opinion. It is the third voice that decides who is right
//! when LevelDB 1.23 and Strata disagree, and it catches answers the two
//! share but which are wrong.
//!
//! Assumes what the generator guarantees: every open succeeds, and a
//! repair keeps every entry (it runs on a settled database; see
//! `generate.rs`).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::rc::Rc;

use crate::script::body;

/// Keys in bytewise order; the printed value (as the driver prints it).
type Map = BTreeMap<Vec<u8>, Rc<str>>;

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The bytes of a script byte string (`'literal` or `*LEN.SEED`), as the
/// driver decodes it.
pub fn decode(token: &str) -> Option<Vec<u8>> {
    if let Some(lit) = token.strip_prefix('\'') {
        let b = lit.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let hi = hex_digit(*b.get(i + 1)?)?;
                let lo = hex_digit(*b.get(i + 2)?)?;
                out.push(hi * 16 + lo);
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        return Some(out);
    }
    let (len, seed) = token.strip_prefix('*')?.split_once('.')?;
    let (len, seed): (usize, u64) = (len.parse().ok()?, seed.parse().ok()?);
    Some(generate(len, seed))
}

/// The driver's `Generate`: odd seeds give runs of 16 equal letters, even
/// ones xorshift noise.
fn generate(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let letters = seed & 1 == 1;
    (0..len)
        .map(|i| {
            if i % 16 == 0 || !letters {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }
            if letters {
                b'a' + ((x >> 32) % 26) as u8
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

fn escape(bytes: &[u8], out: &mut String) {
    for &c in bytes {
        if c > 0x20 && c < 0x7f && c != b'%' && c != b'\'' {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02x}"));
        }
    }
}

/// The driver's `PrintBytes`.
pub fn printed(bytes: &[u8]) -> String {
    let mut s = String::from("'");
    if bytes.len() <= 40 {
        escape(bytes, &mut s);
    } else {
        escape(&bytes[..24], &mut s);
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        s.push_str(&format!("'..{}#{hash:016x}", bytes.len()));
    }
    s
}

struct Iter {
    data: Map,
    /// The current key; `None`: not valid.
    at: Option<Vec<u8>>,
}

#[derive(Default)]
struct Model {
    reverse: bool,
    open: bool,
    data: Map,
    snaps: HashMap<String, Map>,
    iters: HashMap<String, Iter>,
}

impl Model {
    /// The first key of `data` in comparator order at or after (`from`
    /// forwards) or before (backwards) the bound.
    fn step(&self, data: &Map, from: Bound<&[u8]>, forward: bool) -> Option<Vec<u8>> {
        // Bytewise direction: forwards in the comparator's order is
        // backwards in bytes for the reverse comparator.
        let up = forward != self.reverse;
        let found = if up {
            data.range::<[u8], _>((from, Unbounded)).next()
        } else {
            data.range::<[u8], _>((Unbounded, from)).next_back()
        };
        found.map(|(k, _)| k.clone())
    }

    fn entry(data: &Map, at: &Option<Vec<u8>>) -> String {
        match at {
            Some(k) => format!("{}={}", printed(k), data[k]),
            None => "invalid".to_string(),
        }
    }

    fn apply(&mut self, tokens: &[&str]) -> Option<String> {
        let op = tokens[0];
        match op {
            "open" if !self.open => {
                self.open = true;
                self.reverse = tokens.contains(&"cmp=rev");
                None
            }
            "close" => {
                self.open = false;
                self.snaps.clear();
                self.iters.clear();
                None
            }
            "destroy" if !self.open => {
                self.data.clear();
                None
            }
            _ if !self.open => None,
            "put" | "del" | "batch" => {
                let positional: Vec<&str> = tokens
                    .iter()
                    .copied()
                    .filter(|t| !t.starts_with('+'))
                    .collect();
                let mut rest = &positional[1..];
                let mut writes = Vec::new();
                if op != "batch" {
                    writes.push((op == "put", rest.first()?, rest.get(1)));
                } else {
                    while let Some(&kind) = rest.first() {
                        let put = kind == "p";
                        writes.push((put, rest.get(1)?, rest.get(2)));
                        rest = &rest[if put { 3 } else { 2 }.min(rest.len())..];
                    }
                }
                for (put, k, v) in writes {
                    let k = decode(k)?;
                    if put {
                        let v: Rc<str> = printed(&decode(v?)?).into();
                        self.data.insert(k, v);
                    } else {
                        self.data.remove(&k);
                    }
                }
                None
            }
            "snap" => {
                self.snaps
                    .insert(tokens.get(1)?.to_string(), self.data.clone());
                None
            }
            "release" => {
                self.snaps.remove(*tokens.get(1)?);
                None
            }
            "get" | "iter" => {
                let data = match tokens.iter().find_map(|t| t.strip_prefix("+snap=")) {
                    Some(s) => self.snaps.get(s)?,
                    None => &self.data,
                };
                if op == "iter" {
                    let iter = Iter {
                        data: data.clone(),
                        at: None,
                    };
                    self.iters.insert(tokens.get(1)?.to_string(), iter);
                    return None;
                }
                let k = decode(tokens.get(1)?)?;
                Some(match data.get(&k) {
                    Some(v) => format!("get {} = {v}", printed(&k)),
                    None => format!("get {} not found", printed(&k)),
                })
            }
            "iterend" => {
                self.iters.remove(*tokens.get(1)?);
                None
            }
            "seekfirst" | "seeklast" | "seek" | "next" | "prev" => {
                let h = *tokens.get(1)?;
                let iter = self.iters.get(h)?;
                let mut at = iter.at.clone();
                let mut line = format!("{op} {h} ->");
                match op {
                    "seekfirst" | "seeklast" => {
                        at = self.step(&iter.data, Unbounded, op == "seekfirst");
                    }
                    "seek" => {
                        let k = decode(tokens.get(2)?)?;
                        at = self.step(&iter.data, Included(&k), true);
                    }
                    _ => {
                        let n: u64 = tokens.get(2)?.parse().ok()?;
                        for _ in 0..n {
                            let Some(k) = &at else { break };
                            at = self.step(&iter.data, Excluded(k), op == "next");
                            line += " ";
                            line += &Self::entry(&iter.data, &at);
                        }
                    }
                }
                if !matches!(op, "next" | "prev") {
                    line += " ";
                    line += &Self::entry(&iter.data, &at);
                }
                self.iters.get_mut(h)?.at = at;
                Some(line)
            }
            _ => None,
        }
    }
}

/// The line each operation of `lines` must print, where the model knows.
pub fn expected(lines: &[String]) -> Vec<Option<String>> {
    let mut model = Model::default();
    crate::script::operations(lines)
        .into_iter()
        .map(|line| {
            let tokens: Vec<&str> = body(line).split(' ').filter(|t| !t.is_empty()).collect();
            model.apply(&tokens)
        })
        .collect()
}
