//! Syncing a compaction's finished output tables on a second thread, so that
//! the merge goes on filling the next output while the device writes the
//! last one back.
//!
//! Why: `fdatasync` of a 2 MiB table waits for the data to reach the device
//! (milliseconds on a slow disk), and a compaction thread that waits cannot
//! merge; level 0 then fills up and writers are delayed. LevelDB syncs each
//! output in line.
//!
//! Invariants: every output handed to [`OutputSyncer::submit`] is synced
//! and closed (or its error kept) before [`OutputSyncer::finish`] returns,
//! and `finish` returns the first error, so a compaction installs its
//! outputs only when all of them are durable, as when syncing in line. The
//! worker lives inside a [`std::thread::scope`], so it cannot outlive the
//! compaction that started it.

use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

use crate::env::WritableFile;
use crate::status::{Error, Result};

pub(super) struct OutputSyncer<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    /// Started at the first submitted output: most compactions that write
    /// one table need no second thread.
    worker: Option<Worker<'scope>>,
}

struct Worker<'scope> {
    files: mpsc::Sender<Box<dyn WritableFile>>,
    handle: ScopedJoinHandle<'scope, Result<()>>,
}

impl<'scope, 'env> OutputSyncer<'scope, 'env> {
    pub(super) fn new(scope: &'scope Scope<'scope, 'env>) -> Self {
        OutputSyncer {
            scope,
            worker: None,
        }
    }

    /// Queues a finished table to be synced and closed.
    pub(super) fn submit(&mut self, file: Box<dyn WritableFile>) {
        let worker = self.worker.get_or_insert_with(|| {
            let (files, queue) = mpsc::channel::<Box<dyn WritableFile>>();
            let handle = self.scope.spawn(move || {
                let mut first_error = Ok(());
                for mut file in queue {
                    let r = sync_and_close(&mut *file);
                    if first_error.is_ok() {
                        first_error = r;
                    }
                }
                first_error
            });
            Worker { files, handle }
        });
        // Sending fails only if the worker panicked, which `finish`
        // reports as the compaction's error.
        let _ = worker.files.send(file);
    }

    /// Waits until every submitted output is synced and closed; the first
    /// error of any of them.
    pub(super) fn finish(self) -> Result<()> {
        let Some(Worker { files, handle }) = self.worker else {
            return Ok(());
        };
        drop(files);
        handle
            .join()
            .unwrap_or_else(|_| Err(Error::io_error("compaction output sync panicked")))
    }
}

/// Makes a finished output durable and closes it, as a compaction does
/// with every output (here on the worker, or in line for the last one).
pub(super) fn sync_and_close(file: &mut dyn WritableFile) -> Result<()> {
    file.sync().and_then(|()| file.close())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Counts syncs and closes; its sync fails when `fail` is set.
    struct Probe {
        fail: bool,
        synced: Arc<AtomicUsize>,
        closed: Arc<AtomicUsize>,
    }

    impl WritableFile for Probe {
        fn append(&mut self, _data: &[u8]) -> Result<()> {
            Ok(())
        }
        fn flush(&mut self) -> Result<()> {
            Ok(())
        }
        fn sync(&mut self) -> Result<()> {
            if self.fail {
                return Err(Error::io_error("probe: sync failed"));
            }
            self.synced.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn close(&mut self) -> Result<()> {
            self.closed.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn run(fails: &[bool]) -> (Result<()>, usize, usize) {
        let synced = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let result = std::thread::scope(|scope| {
            let mut syncer = OutputSyncer::new(scope);
            for &fail in fails {
                syncer.submit(Box::new(Probe {
                    fail,
                    synced: Arc::clone(&synced),
                    closed: Arc::clone(&closed),
                }));
            }
            syncer.finish()
        });
        (
            result,
            synced.load(Ordering::SeqCst),
            closed.load(Ordering::SeqCst),
        )
    }

    #[test]
    fn finish_returns_after_every_output_is_synced_and_closed() {
        assert_eq!(run(&[]).1, 0);
        let (result, synced, closed) = run(&[false; 5]);
        assert!(result.is_ok());
        assert_eq!((synced, closed), (5, 5));
    }

    #[test]
    fn the_first_failed_sync_is_the_result_and_later_outputs_still_close() {
        let (result, synced, closed) = run(&[false, true, false]);
        assert_eq!(
            result.unwrap_err().to_string(),
            "IO error: probe: sync failed"
        );
        // The failed one is not closed (its sync error stands), the others are.
        assert_eq!((synced, closed), (2, 2));
    }
}
