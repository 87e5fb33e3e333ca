//! LevelDB's `Status`, as a Rust error type.
//!
//! Invariants: an [`Error`] always carries one of LevelDB's five non-OK codes
//! and a message; its `Display` is byte for byte what LevelDB 1.23's
//! `Status::ToString()` prints for the same status (`"Corruption: bad block
//! contents"`), so error strings handed to C callers match the reference.

use std::fmt;

/// The kind of a failure: LevelDB 1.23's non-OK status codes, with the
/// numbers LevelDB gives them (`Code::IoError as i32 == 5`). Marked
/// `#[non_exhaustive]`: a `match` needs a `_` arm.
///
/// ```
/// use leveldb::{Code, Error};
///
/// let e = Error::corruption("bad block contents");
/// match e.code() {
///     Code::Corruption => assert_eq!(Code::Corruption as i32, 2),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// Something looked up does not exist (a file, for the `Env`). A key
    /// missing from a database is not an error in the Rust API:
    /// [`DB::get`](crate::DB::get) returns `Ok(None)`.
    NotFound = 1,
    /// Stored data is damaged: a checksum mismatch, a malformed block,
    /// log record or MANIFEST entry.
    Corruption = 2,
    /// The operation is not supported (LevelDB prints "Not implemented").
    NotSupported = 3,
    /// The caller asked for something invalid: opening a missing database
    /// without `create_if_missing`, a comparator whose name differs from
    /// the database's.
    InvalidArgument = 4,
    /// The operating system reported an error (including a held `LOCK`).
    IoError = 5,
}

impl Code {
    /// The prefix `Status::ToString()` puts before the message.
    ///
    /// ```
    /// assert_eq!(leveldb::Code::NotSupported.prefix(), "Not implemented: ");
    /// ```
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

/// A failed LevelDB operation: a [`Code`] and the message LevelDB would
/// give. `Display` prints exactly LevelDB 1.23's `Status::ToString()`
/// (`"Corruption: bad block contents"`); `Debug` prints the same. It is a
/// [`std::error::Error`] (`Send + Sync + 'static`, so `?` turns it into a
/// `Box<dyn Error + Send + Sync>` or an `anyhow::Error`) and converts into
/// a [`std::io::Error`] of the matching kind.
///
/// ```
/// use leveldb::{Code, Error, Options, DB};
///
/// fn open(path: &std::path::Path) -> Result<DB, Box<dyn std::error::Error + Send + Sync>> {
///     Ok(DB::open(Options::default(), path)?)
/// }
/// # let dir = tempfile::tempdir().unwrap();
/// let err = open(&dir.path().join("missing")).unwrap_err();
/// let err = err.downcast::<Error>().unwrap();
/// assert_eq!(err.code(), Code::InvalidArgument);
/// assert!(err.to_string().ends_with("does not exist (create_if_missing is false)"));
///
/// let io: std::io::Error = Error::not_found("x").into();
/// assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: Code,
    message: String,
}

/// `Result<T, leveldb::Error>`, the result of every fallible operation.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with one message.
    ///
    /// ```
    /// use leveldb::{Code, Error};
    /// assert_eq!(Error::new(Code::IoError, "disk full").to_string(), "IO error: disk full");
    /// ```
    pub fn new(code: Code, msg: impl Into<String>) -> Error {
        Error {
            code,
            message: msg.into(),
        }
    }

    /// An error built as LevelDB's two-message constructor builds it:
    /// `msg + ": " + msg2`, the separator only when `msg2` is not empty.
    ///
    /// ```
    /// use leveldb::{Code, Error};
    /// let e = Error::with_detail(Code::Corruption, "000005.ldb", "bad magic");
    /// assert_eq!(e.to_string(), "Corruption: 000005.ldb: bad magic");
    /// assert_eq!(e.message(), "000005.ldb: bad magic");
    /// ```
    pub fn with_detail(code: Code, msg: impl Into<String>, msg2: &str) -> Error {
        let mut message = msg.into();
        if !msg2.is_empty() {
            message.push_str(": ");
            message.push_str(msg2);
        }
        Error { code, message }
    }

    /// A [`Code::NotFound`] error.
    ///
    /// ```
    /// assert_eq!(leveldb::Error::not_found("x").to_string(), "NotFound: x");
    /// ```
    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::new(Code::NotFound, msg)
    }
    /// A [`Code::Corruption`] error.
    ///
    /// ```
    /// assert!(leveldb::Error::corruption("bad block").is_corruption());
    /// ```
    pub fn corruption(msg: impl Into<String>) -> Error {
        Error::new(Code::Corruption, msg)
    }
    /// A [`Code::NotSupported`] error.
    ///
    /// ```
    /// let e = leveldb::Error::not_supported("x");
    /// assert_eq!(e.to_string(), "Not implemented: x");
    /// ```
    pub fn not_supported(msg: impl Into<String>) -> Error {
        Error::new(Code::NotSupported, msg)
    }
    /// A [`Code::InvalidArgument`] error.
    ///
    /// ```
    /// assert!(leveldb::Error::invalid_argument("x").is_invalid_argument());
    /// ```
    pub fn invalid_argument(msg: impl Into<String>) -> Error {
        Error::new(Code::InvalidArgument, msg)
    }
    /// A [`Code::IoError`] error.
    ///
    /// ```
    /// assert!(leveldb::Error::io_error("x").is_io_error());
    /// ```
    pub fn io_error(msg: impl Into<String>) -> Error {
        Error::new(Code::IoError, msg)
    }

    /// An error from the operating system about `context` (usually a file
    /// name), classified as LevelDB's POSIX env does: ENOENT is NotFound,
    /// anything else an IO error; the text is `context: strerror(errno)`.
    ///
    /// ```
    /// let os = std::io::Error::from_raw_os_error(libc::ENOENT);
    /// let e = leveldb::Error::from_io("/db/CURRENT", &os);
    /// assert_eq!(e.to_string(), "NotFound: /db/CURRENT: No such file or directory");
    /// ```
    pub fn from_io(context: &str, err: &std::io::Error) -> Error {
        let code = if err.kind() == std::io::ErrorKind::NotFound {
            Code::NotFound
        } else {
            Code::IoError
        };
        Error::with_detail(code, context, &strerror(err))
    }

    /// The kind of error (LevelDB's status code).
    ///
    /// ```
    /// use leveldb::{Code, Error};
    /// assert_eq!(Error::io_error("x").code(), Code::IoError);
    /// ```
    pub fn code(&self) -> Code {
        self.code
    }
    /// The message without the code prefix.
    ///
    /// ```
    /// assert_eq!(leveldb::Error::corruption("bad block").message(), "bad block");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Whether the code is [`Code::NotFound`] (LevelDB's `IsNotFound`).
    ///
    /// ```
    /// assert!(leveldb::Error::not_found("x").is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.code == Code::NotFound
    }
    /// Whether the code is [`Code::Corruption`] (LevelDB's `IsCorruption`).
    ///
    /// ```
    /// assert!(!leveldb::Error::not_found("x").is_corruption());
    /// ```
    pub fn is_corruption(&self) -> bool {
        self.code == Code::Corruption
    }
    /// Whether the code is [`Code::IoError`] (LevelDB's `IsIOError`).
    ///
    /// ```
    /// assert!(leveldb::Error::io_error("x").is_io_error());
    /// ```
    pub fn is_io_error(&self) -> bool {
        self.code == Code::IoError
    }
    /// Whether the code is [`Code::InvalidArgument`] (LevelDB's
    /// `IsInvalidArgument`).
    ///
    /// ```
    /// assert!(leveldb::Error::invalid_argument("x").is_invalid_argument());
    /// ```
    pub fn is_invalid_argument(&self) -> bool {
        self.code == Code::InvalidArgument
    }
    /// Whether the code is [`Code::NotSupported`] (LevelDB's
    /// `IsNotSupportedError`).
    ///
    /// ```
    /// assert!(leveldb::Error::not_supported("x").is_not_supported());
    /// ```
    pub fn is_not_supported(&self) -> bool {
        self.code == Code::NotSupported
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

/// An `io::Error` of the nearest kind (`NotFound`, `InvalidData` for
/// corruption, `Unsupported`, `InvalidInput`, `Other` for I/O errors),
/// carrying the `leveldb::Error` as its source, for code that speaks
/// `std::io`.
impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match e.code {
            Code::NotFound => ErrorKind::NotFound,
            Code::Corruption => ErrorKind::InvalidData,
            Code::NotSupported => ErrorKind::Unsupported,
            Code::InvalidArgument => ErrorKind::InvalidInput,
            Code::IoError => ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

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
    fn converts_to_io_errors_of_the_nearest_kind() {
        use std::io::ErrorKind;
        for (e, kind) in [
            (Error::not_found("a"), ErrorKind::NotFound),
            (Error::corruption("b"), ErrorKind::InvalidData),
            (Error::not_supported("c"), ErrorKind::Unsupported),
            (Error::invalid_argument("d"), ErrorKind::InvalidInput),
            (Error::io_error("e"), ErrorKind::Other),
        ] {
            let io = std::io::Error::from(e.clone());
            assert_eq!(io.kind(), kind);
            assert_eq!(io.to_string(), e.to_string());
            let inner = io.into_inner().unwrap().downcast::<Error>().unwrap();
            assert_eq!(*inner, e, "the original error is kept");
        }
    }

    #[test]
    fn is_a_thread_safe_std_error_without_a_source() {
        let e = Error::corruption("x");
        let boxed: Box<dyn std::error::Error + Send + Sync + 'static> = Box::new(e.clone());
        assert!(boxed.source().is_none());
        assert_eq!(format!("{e:?}"), "Corruption: x");
        assert!(e.is_corruption() && !e.is_not_found() && !e.is_io_error());
        assert!(Error::not_supported("y").is_not_supported());
    }

    #[test]
    fn io_errors_classified_like_posix_env() {
        let e = Error::from_io("/x/y", &std::io::Error::from_raw_os_error(libc::ENOENT));
        assert_eq!(e.to_string(), "NotFound: /x/y: No such file or directory");
        let e = Error::from_io("/x/y", &std::io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(e.to_string(), "IO error: /x/y: Permission denied");
    }
}
