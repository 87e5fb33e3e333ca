//! How keys and values are written on the terminal and read from the
//! command line: LevelDB's `EscapeString` by default, hex with `--hex`,
//! the bytes themselves with `--raw`.
//!
//! Invariants: [`Encoding::Escaped`] output is exactly LevelDB's
//! `EscapeString` (bytes 0x20..=0x7e as themselves, every other byte as
//! `\xNN` in lowercase hex; a backslash is not escaped, so the text is not
//! always reversible: `--hex` is). [`Encoding::Hex`] output is lowercase
//! hex, two digits per byte. Arguments are decoded by the same rule they
//! would print with: `\xNN` (either case) is the byte NN, `\\` a
//! backslash, and any other backslash stands for itself.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// How keys and values are printed and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Escaped,
    Hex,
    Raw,
}

impl Encoding {
    /// The bytes a command-line argument stands for.
    pub fn decode_arg(self, what: &str, arg: &OsStr) -> Result<Vec<u8>, String> {
        let bytes = arg.as_bytes();
        match self {
            Encoding::Raw => Ok(bytes.to_vec()),
            Encoding::Escaped => Ok(unescape(bytes)),
            Encoding::Hex => unhex(bytes).ok_or_else(|| {
                format!(
                    "{what} '{}' is not hex (two digits per byte)",
                    arg.to_string_lossy()
                )
            }),
        }
    }

    /// Appends the printed form of `bytes` to `out`.
    pub fn encode_into(self, bytes: &[u8], out: &mut Vec<u8>) {
        match self {
            Encoding::Raw => out.extend_from_slice(bytes),
            Encoding::Escaped => {
                out.extend_from_slice(leveldb::key::escape_bytes(bytes).as_bytes())
            }
            Encoding::Hex => hex_into(bytes, out),
        }
    }
}

/// Lowercase hex, two digits per byte.
pub fn hex_into(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

/// The value of one hex digit (either case).
pub fn hex_digit(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    }
}

/// Hex (either case, an even number of digits) to bytes.
pub fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?))
        .collect()
}

/// The bytes of escaped text: `\xNN` is byte NN, `\\` a backslash, any
/// other backslash itself.
pub fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            if text.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if text.get(i + 1) == Some(&b'x') {
                let pair = text
                    .get(i + 2..i + 4)
                    .and_then(|p| Some(hex_digit(p[0])? << 4 | hex_digit(p[1])?));
                if let Some(b) = pair {
                    out.push(b);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(e: Encoding, bytes: &[u8]) -> String {
        let mut out = Vec::new();
        e.encode_into(bytes, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escaped_output_is_escape_string() {
        assert_eq!(
            encoded(Encoding::Escaped, b"a b~\x7f\x00\xff\\'\t"),
            "a b~\\x7f\\x00\\xff\\'\\x09"
        );
        assert_eq!(encoded(Encoding::Hex, b"\x00\xffA"), "00ff41");
    }

    #[test]
    fn escaped_output_reads_back_unless_it_holds_a_backslash() {
        let every: Vec<u8> = (0..=255u8).filter(|&b| b != b'\\').collect();
        let text = encoded(Encoding::Escaped, &every);
        assert_eq!(unescape(text.as_bytes()), every);
        assert_eq!(unescape(b"a\\\\b\\x4A\\x4a\\xZZ\\q\\"), b"a\\bJJ\\xZZ\\q\\");
        assert_eq!(unhex(b"00fF41"), Some(b"\x00\xffA".to_vec()));
        assert_eq!(unhex(b"0"), None);
        assert_eq!(unhex(b"0g"), None);
    }
}
