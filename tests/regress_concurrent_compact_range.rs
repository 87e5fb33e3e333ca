//! Regression: two threads calling `compact_range` at once could wait
//! forever — the one finishing first freed the manual-compaction slot
//! without waking the other (found by db_bench `--threads=2 ... compact`).

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use leveldb::{Options, ReadOptions, WriteOptions, DB};

#[test]
fn concurrent_manual_compactions_all_return() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        create_if_missing: true,
        write_buffer_size: 64 << 10,
        ..Options::default()
    };
    let db = Arc::new(DB::open(options, dir.path().to_str().unwrap()).unwrap());
    let wo = WriteOptions::default();

    for round in 0..5u32 {
        for i in 0..2000u32 {
            let key = format!("{:016}", (i * 7919 + round) % 3000);
            db.put(&wo, key.as_bytes(), &[b'v'; 100]).unwrap();
        }
        let (done_tx, done_rx) = mpsc::channel();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let db = Arc::clone(&db);
                let done_tx = done_tx.clone();
                std::thread::spawn(move || {
                    db.compact_range(None, None).unwrap();
                    done_tx.send(()).unwrap();
                })
            })
            .collect();
        for _ in 0..threads.len() {
            done_rx
                .recv_timeout(Duration::from_secs(60))
                .expect("a concurrent compact_range never returned");
        }
        for t in threads {
            t.join().unwrap();
        }
    }
    let found = db
        .get(&ReadOptions::new(), format!("{:016}", 1).as_bytes())
        .unwrap();
    assert_eq!(found.as_deref(), Some(&[b'v'; 100][..]));
}
