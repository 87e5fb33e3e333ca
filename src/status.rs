//! LevelDB's `Status`, as a Rust error type.
//!
//! Invariants: an [`Error`] always carries one of LevelDB's five non-OK codes
//! and a message; its `Display` is byte for byte what LevelDB 1.23's
//! `Status::ToString()` prints for the same status (`"Corruption: bad block
//! contents"`), so error strings handed to C callers match the reference.

use std::fmt;

/// The status codes of LevelDB 1.23, with their numeric values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    NotFound = 1,
    Corruption = 2,
    NotSupported = 3,
    InvalidArgument = 4,
    IoError = 5,
}

impl Code {
    /// The prefix `Status::ToString()` puts before the message.
    pub fn prefix(self) -> &'static str {
        match self {
            Code::NotFound => "NotFound: ",
            Code::Corruption => "Corruption: ",
            Code::NotSupported => "Not implemented: ",
            Code::InvalidArgument => "Invalid argument: ",
            Code::IoError => "IO error: ",
        }
    }
}

/// A failed LevelDB operation: a code and the message LevelDB would give.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: Code,
    message: String,
}

/// The result type used throughout the engine.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A status with one message.
    pub fn new(code: Code, msg: impl Into<String>) -> Error {
        Error {
            code,
            message: msg.into(),
        }
    }

    /// A status built as LevelDB's two-message constructor builds it:
    /// `msg + ": " + msg2`, the separator only when `msg2` is not empty.
    pub fn with_detail(code: Code, msg: impl Into<String>, msg2: &str) -> Error {
        let mut message = msg.into();
        if !msg2.is_empty() {
            message.push_str(": ");
            message.push_str(msg2);
        }
        Error { code, message }
    }

    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::new(Code::NotFound, msg)
    }
    pub fn corruption(msg: impl Into<String>) -> Error {
        Error::new(Code::Corruption, msg)
    }
    pub fn not_supported(msg: impl Into<String>) -> Error {
        Error::new(Code::NotSupported, msg)
    }
    pub fn invalid_argument(msg: impl Into<String>) -> Error {
        Error::new(Code::InvalidArgument, msg)
    }
    pub fn io_error(msg: impl Into<String>) -> Error {
        Error::new(Code::IoError, msg)
    }

    /// An error from the operating system about `context` (usually a file
    /// name), classified as LevelDB's POSIX env does: ENOENT is NotFound,
    /// anything else an IO error; the text is `context: strerror(errno)`.
    pub fn from_io(context: &str, err: &std::io::Error) -> Error {
        let code = if err.kind() == std::io::ErrorKind::NotFound {
            Code::NotFound
        } else {
            Code::IoError
        };
        Error::with_detail(code, context, &strerror(err))
    }

    pub fn code(&self) -> Code {
        self.code
    }
    /// The message without the code prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn is_not_found(&self) -> bool {
        self.code == Code::NotFound
    }
    pub fn is_corruption(&self) -> bool {
        self.code == Code::Corruption
    }
    pub fn is_io_error(&self) -> bool {
        self.code == Code::IoError
    }
    pub fn is_invalid_argument(&self) -> bool {
        self.code == Code::InvalidArgument
    }
}

/// The C library's text for an OS error, without Rust's " (os error N)".
pub fn strerror(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        // Miri cannot call into libc; its runs accept Rust's wording.
        #[cfg(not(miri))]
        Some(errno) => {
            // SAFETY: strerror returns a pointer to a NUL-terminated static or
            // thread-local string, which we copy out before any other libc call.
            let text = unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) };
            text.to_string_lossy().into_owned()
        }
        _ => err.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.prefix())?;
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// The message a panic was raised with (`panic!` with a literal or with a
/// formatted string), for the error it is turned into.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_leveldb_to_string() {
        assert_eq!(
            Error::corruption("bad block contents").to_string(),
            "Corruption: bad block contents"
        );
        assert_eq!(Error::not_found("x").to_string(), "NotFound: x");
        assert_eq!(Error::not_supported("x").to_string(), "Not implemented: x");
        assert_eq!(
            Error::invalid_argument("x").to_string(),
            "Invalid argument: x"
        );
        assert_eq!(Error::io_error("x").to_string(), "IO error: x");
    }

    #[test]
    fn two_message_form() {
        let e = Error::with_detail(Code::Corruption, "a", "b");
        assert_eq!(e.to_string(), "Corruption: a: b");
        let e = Error::with_detail(Code::Corruption, "a", "");
        assert_eq!(e.to_string(), "Corruption: a");
    }

    #[test]
    fn io_errors_classified_like_posix_env() {
        let e = Error::from_io("/x/y", &std::io::Error::from_raw_os_error(libc::ENOENT));
        assert_eq!(e.to_string(), "NotFound: /x/y: No such file or directory");
        let e = Error::from_io("/x/y", &std::io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(e.to_string(), "IO error: /x/y: Permission denied");
    }
}
