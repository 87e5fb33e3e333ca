//! Progress display for the long commands: an indicatif bar or spinner on
//! stderr when stderr is a terminal, nothing at all otherwise (so piped or
//! redirected output, and the tests, see no progress text).
//!
//! Invariant: a finished or dropped progress display erases itself, so the
//! only lasting output of a command is its result and its errors.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress display; every method is a no-op when it is hidden.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn shown(bar: impl FnOnce() -> ProgressBar) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            bar()
        } else {
            ProgressBar::hidden()
        };
        Progress { bar }
    }

    /// A bar over `total` bytes.
    pub fn bytes(what: &str, total: u64) -> Progress {
        let what = what.to_string();
        Progress::shown(move || {
            let bar = ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_message(what);
            bar
        })
    }

    /// A spinner counting items, for work of unknown size.
    pub fn counter(what: &str) -> Progress {
        let what = what.to_string();
        Progress::shown(move || {
            let bar = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {human_pos} ({per_sec}) {elapsed}")
                    .expect("a valid template"),
            );
            bar.set_message(what);
            bar
        })
    }

    /// A spinner for one long call that reports nothing while it runs; it
    /// turns by itself and shows the latest [`Progress::say`].
    pub fn waiting(what: &str) -> Progress {
        let what = what.to_string();
        Progress::shown(move || {
            let bar = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .expect("a valid template"),
            );
            bar.set_message(what);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        })
    }

    /// Whether anything is displayed.
    pub fn is_shown(&self) -> bool {
        !self.bar.is_hidden()
    }

    pub fn set_length(&self, total: u64) {
        self.bar.set_length(total);
    }

    pub fn set(&self, position: u64) {
        self.bar.set_position(position);
    }

    pub fn say(&self, message: String) {
        self.bar.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
