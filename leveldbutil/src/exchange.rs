//! The file format of `leveldbutil export` and `import` (documented in
//! docs/leveldbutil.md): text lines, binary-safe and lossless.
//!
//! ```text
//! leveldbutil-export 1
//! KEY<TAB>VALUE
//! ...
//! end COUNT
//! ```
//!
//! The end line is the only line without a TAB.
//!
//! Each KEY and VALUE is the entry's bytes with every byte outside
//! 0x20..=0x7e, and the backslash, written `\xNN` (lowercase on output,
//! either case on input); every other byte stands for itself. So a field
//! never holds a TAB or a newline, an empty field is empty, and the
//! encoding is one-to-one. COUNT is the number of entry lines: a file cut
//! short at a line boundary is refused too.
//!
//! Invariant: `Reader` accepts exactly what `write_*` produce (modulo hex
//! case), and reports the line number of the first thing it refuses.

use std::io::BufRead;

use crate::text::{hex_digit, hex_into};

/// The first line of every export.
pub const HEADER: &[u8] = b"leveldbutil-export 1\n";

/// Appends one entry line.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    encode_field(key, out);
    out.push(b'\t');
    encode_field(value, out);
    out.push(b'\n');
}

/// The last line of an export of `count` entries.
pub fn end_line(count: u64) -> Vec<u8> {
    format!("end {count}\n").into_bytes()
}

fn encode_field(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if (b' '..=b'~').contains(&b) && b != b'\\' {
            out.push(b);
        } else {
            out.extend_from_slice(b"\\x");
            hex_into(&[b], out);
        }
    }
}

fn decode_field(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b == b'\\' {
            let byte = (text.get(i + 1) == Some(&b'x'))
                .then(|| text.get(i + 2..i + 4))
                .flatten()
                .and_then(|p| Some(hex_digit(p[0])? << 4 | hex_digit(p[1])?))
                .ok_or_else(|| format!("a backslash at column {} is not \\xNN", i + 1))?;
            out.push(byte);
            i += 4;
        } else if (b' '..=b'~').contains(&b) {
            out.push(b);
            i += 1;
        } else {
            return Err(format!(
                "byte 0x{b:02x} at column {} must be written \\x{b:02x}",
                i + 1
            ));
        }
    }
    Ok(out)
}

/// One entry: key and value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Reads an export entry by entry.
pub struct Reader<R> {
    input: R,
    line: Vec<u8>,
    line_number: u64,
    entries: u64,
    bytes: u64,
    ended: bool,
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the header line.
    pub fn new(input: R) -> Result<Reader<R>, String> {
        let mut reader = Reader {
            input,
            line: Vec::new(),
            line_number: 0,
            entries: 0,
            bytes: 0,
            ended: false,
        };
        if !reader.read_line()? || reader.line != HEADER[..HEADER.len() - 1] {
            return Err(format!(
                "line 1: not a leveldbutil export (the first line must be '{}')",
                String::from_utf8_lossy(&HEADER[..HEADER.len() - 1])
            ));
        }
        Ok(reader)
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next entry, or `None` after the end line (whose count must
    /// match, and after which nothing may follow).
    pub fn next_entry(&mut self) -> Result<Option<Entry>, String> {
        if self.ended {
            return Ok(None);
        }
        if !self.read_line()? {
            return Err(format!(
                "line {}: the file ends without its 'end' line (cut short?) after {} entries",
                self.line_number + 1,
                self.entries
            ));
        }
        let at = self.line_number;
        // An entry line always holds a TAB; the end line never does.
        let end = match self.line.contains(&b'\t') {
            true => None,
            false => self.line.strip_prefix(b"end "),
        };
        if let Some(count) = end {
            let count = std::str::from_utf8(count)
                .ok()
                .and_then(|c| c.parse::<u64>().ok())
                .ok_or_else(|| format!("line {at}: bad 'end' line"))?;
            if count != self.entries {
                return Err(format!(
                    "line {at}: the 'end' line counts {count} entries, the file holds {}",
                    self.entries
                ));
            }
            if self.read_line()? {
                return Err(format!(
                    "line {}: data after the 'end' line",
                    self.line_number
                ));
            }
            self.ended = true;
            return Ok(None);
        }
        let mut fields = self.line.split(|&b| b == b'\t');
        let (Some(key), Some(value), None) = (fields.next(), fields.next(), fields.next()) else {
            return Err(format!("line {at}: an entry is KEY, one TAB, VALUE"));
        };
        let key = decode_field(key).map_err(|e| format!("line {at}: key: {e}"))?;
        let value = decode_field(value).map_err(|e| format!("line {at}: value: {e}"))?;
        self.entries += 1;
        Ok(Some((key, value)))
    }

    /// Reads one line without its newline; false at the end of the input.
    fn read_line(&mut self) -> Result<bool, String> {
        self.line.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.line)
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        self.bytes += n as u64;
        self.line_number += 1;
        if self.line.pop() != Some(b'\n') {
            return Err(format!(
                "line {}: no newline at the end of the file (cut short?)",
                self.line_number
            ));
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut out = HEADER.to_vec();
        for (k, v) in entries {
            write_entry(&mut out, k, v);
        }
        out.extend(end_line(entries.len() as u64));
        out
    }

    fn import(bytes: &[u8]) -> Result<Vec<Entry>, String> {
        let mut r = Reader::new(bytes)?;
        let mut v = Vec::new();
        while let Some(e) = r.next_entry()? {
            v.push(e);
        }
        Ok(v)
    }

    #[test]
    fn every_byte_round_trips() {
        let every: Vec<u8> = (0..=255u8).collect();
        let entries = vec![
            (b"".to_vec(), b"".to_vec()),
            (every.clone(), every.iter().rev().copied().collect()),
            (b"a\tb\nc\\x41\\".to_vec(), b"\r\n\x00".to_vec()),
            (b"plain key".to_vec(), b"".to_vec()),
            (b"end 5".to_vec(), b"x".to_vec()),
        ];
        let text = export(&entries);
        assert_eq!(import(&text).unwrap(), entries);
        // One line per entry, plus header and end.
        assert_eq!(
            text.iter().filter(|&&b| b == b'\n').count(),
            entries.len() + 2
        );
        assert!(text.starts_with(b"leveldbutil-export 1\n\t\n"));
        let upper = String::from_utf8(text).unwrap().replace("\\xff", "\\xFF");
        assert_eq!(import(upper.as_bytes()).unwrap(), entries);
    }

    #[test]
    fn damaged_files_are_refused_with_their_line() {
        let entries = vec![
            (b"k1".to_vec(), b"v1".to_vec()),
            (b"k2".to_vec(), b"v2".to_vec()),
        ];
        let good = export(&entries);
        let text = String::from_utf8(good.clone()).unwrap();
        for (bad, says) in [
            (
                text.replace("end 2", "end 3"),
                "line 4: the 'end' line counts 3",
            ),
            (
                text.replace("end 2\n", ""),
                "line 4: the file ends without its 'end' line",
            ),
            (
                text.replace("k1\tv1\n", ""),
                "line 3: the 'end' line counts 2 entries, the file holds 1",
            ),
            (text[..text.len() - 1].to_string(), "line 4: no newline"),
            (
                text.replace("k2\t", "k2"),
                "line 3: an entry is KEY, one TAB, VALUE",
            ),
            (
                text.replace("k2\t", "k\\x2\t"),
                "line 3: key: a backslash at column 2",
            ),
            (
                text.replace("v1", "v\u{7f}"),
                "line 2: value: byte 0x7f at column 2",
            ),
            (
                text.replace("export 1", "export 2"),
                "line 1: not a leveldbutil export",
            ),
            (format!("{text}more\n"), "line 5: data after the 'end' line"),
        ] {
            let err = import(bad.as_bytes()).err().unwrap_or_default();
            assert!(err.starts_with(says), "{bad:?}: {err}");
        }
    }
}
