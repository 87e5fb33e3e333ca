//! A MANIFEST record decoded as a `VersionEdit` (formats.md §6).
//!
//! Input: the record. Properties: no panic; a decoded edit re-encodes to
//! bytes that decode to the same edit and re-encode identically (the input
//! itself may differ: varints may be non-minimal, fields repeated).

use leveldb::version::edit::VersionEdit;

pub fn run(input: &[u8]) {
    let Ok(edit) = VersionEdit::decode(input) else {
        return;
    };
    let _ = edit.debug_string();
    let encoded = edit.encode();
    let again = VersionEdit::decode(&encoded).expect("a re-encoded edit decodes");
    assert_eq!(again, edit);
    assert_eq!(again.encode(), encoded);
}
