//! Tests of the POSIX env: files, the mapped log, locks, the logger and
//! the background queue.

use super::*;
use crate::env::{read_file_to_vec, write_string_to_file};
use std::sync::atomic::{AtomicUsize, Ordering};

fn temp_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_string();
    (dir, path)
}

/// Logs go through the mapped writer: contents are exact across chunk
/// boundaries, the file is preallocated while open, and close trims it.
#[test]
fn mapped_log_files_hold_exactly_what_was_appended() {
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000007.log");
    let mut f = env.new_log_file(&path).unwrap();
    let mut want = Vec::new();
    let mut state = 1u32;
    // Appends of many sizes, crossing the 64 KiB, 128 KiB ... chunks and
    // the 256 KiB steps at which written pages are given back.
    while want.len() < 3 * LOG_MAX_CHUNK {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (state >> 16) as usize % 70_000;
        let piece: Vec<u8> = (0..n).map(|i| (i as u32 ^ state) as u8).collect();
        f.append(&piece).unwrap();
        f.flush().unwrap();
        want.extend_from_slice(&piece);
    }
    f.sync().unwrap();
    // While open the file reaches past the data to a chunk boundary,
    // and what is there is the data, then zeros.
    let open_size = std::fs::metadata(&path).unwrap().len() as usize;
    assert!(open_size > want.len() && open_size % 32_768 == 0);
    // Reserved a step at a time ahead of a mapped chunk, which runs at
    // most a chunk ahead of the data: a crash leaves a bounded zero tail.
    let bound = want.len() + LOG_MAX_CHUNK + LOG_RESERVE_STEP as usize;
    assert!(
        open_size <= bound,
        "{open_size} reserved for {}",
        want.len()
    );
    let raw = std::fs::read(&path).unwrap();
    assert!(raw[..want.len()] == want[..]);
    assert!(raw[want.len()..].iter().all(|&b| b == 0));
    f.close().unwrap();
    assert!(read_file_to_vec(&*env, &path).unwrap() == want);
    // Closed: no more writes, and closing again is harmless.
    assert!(f.append(b"x").is_err());
    assert!(f.flush().is_err());
    assert!(f.sync().is_err());
    f.close().unwrap();
    // An empty log closes to an empty file.
    let empty = format!("{dir}/000008.log");
    env.new_log_file(&empty).unwrap().close().unwrap();
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
}

/// A sealed log gives up its mapping but keeps its bytes: appends and
/// in-place writes fail, sync still works, and close trims the file to
/// exactly what was appended before the seal.
#[test]
fn sealed_log_refuses_appends_and_closes_to_its_contents() {
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000009.log");
    let mut f = env.new_log_file(&path).unwrap();
    let want: Vec<u8> = (0..LOG_FIRST_CHUNK + 1000).map(|i| (i * 7) as u8).collect();
    f.append(&want).unwrap();
    f.seal().unwrap();
    assert!(f.append(b"late").is_err());
    assert!(f.reserve_ahead(10).is_err());
    assert!(f.write_ahead(0, b"x").is_err());
    assert!(f.advance(1).is_err());
    f.sync().unwrap();
    assert!(std::fs::read(&path).unwrap()[..want.len()] == want[..]);
    f.close().unwrap();
    assert!(read_file_to_vec(&*env, &path).unwrap() == want);
}

/// The log writer's in-place (crash-order) path through the mapped
/// file: records of every size, some bigger than a chunk, some crossing
/// chunk ends (which remaps from the record's block), read back whole
/// while the file is open (zero tail) and after close.
#[test]
fn log_records_written_in_place_cross_chunks_intact() {
    use crate::log;
    let env = PosixEnv::shared();
    let (_d, dir) = temp_dir();
    let path = format!("{dir}/000010.log");
    let mut writer = log::Writer::new(env.new_log_file(&path).unwrap());
    let mut want = Vec::new();
    let mut state = 7u32;
    let mut total = 0;
    while total < 3 * LOG_MAX_CHUNK {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = match want.len() % 7 {
            0 => (state >> 8) as usize % 300_000,
            _ => (state >> 16) as usize % 5_000,
        };
        let rec: Vec<u8> = (0..n).map(|i| (i as u32 ^ state) as u8).collect();
        writer.add_record(&rec).unwrap();
        total += n;
        want.push(rec);
    }
    let read_back = |path: &str| {
        let file = env.new_sequential_file(path).unwrap();
        let mut reader = log::Reader::new(file, None, true, 0);
        let mut got = Vec::new();
        let mut rec = Vec::new();
        while reader.read_record(&mut rec) {
            got.push(rec.clone());
        }
        got
    };
    assert!(read_back(&path) == want);
    writer.file_mut().close().unwrap();
    assert!(read_back(&path) == want);
}

/// A log whose file cannot be mapped (here: opened write-only, so a
/// read-write mapping is refused) is written the buffered way instead.
#[test]
fn unmappable_log_falls_back_to_buffered_writes() {
    let (_d, dir) = temp_dir();
    let path = format!("{dir}/000009.log");
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    let mut log = log_file(&path, file);
    log.append(b"record").unwrap();
    log.flush().unwrap();
    // Buffered-and-flushed, not preallocated: exactly the bytes.
    assert_eq!(std::fs::read(&path).unwrap(), b"record");
    log.sync().unwrap();
    log.close().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"record");
}

#[test]
fn write_then_read_back_sequential_and_random() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/f");
    let mut data = Vec::new();
    let mut w = env.new_writable_file(&path).unwrap();
    // Sizes straddling the 64 KiB buffer in every way.
    for (i, len) in [0usize, 1, 100, 65535, 2, 65536, 200_000, 7]
        .into_iter()
        .enumerate()
    {
        let chunk: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
        w.append(&chunk).unwrap();
        data.extend_from_slice(&chunk);
    }
    w.close().unwrap();
    assert_eq!(env.get_file_size(&path).unwrap(), data.len() as u64);
    assert_eq!(read_file_to_vec(&*env, &path).unwrap(), data);

    let r = env.new_random_access_file(&path).unwrap();
    if let Some(map) = r.mapped() {
        assert_eq!(map, &data[..]);
    }
    let mut buf = vec![0u8; 1000];
    assert_eq!(r.read_at(70_000, &mut buf).unwrap(), 1000);
    assert_eq!(&buf[..], &data[70_000..71_000]);
    let tail = data.len() as u64 - 10;
    assert_eq!(r.read_at(tail, &mut buf).unwrap(), 10);
    assert_eq!(&buf[..10], &data[data.len() - 10..]);
    assert_eq!(r.read_at(data.len() as u64 + 5, &mut buf).unwrap(), 0);

    let mut s = env.new_sequential_file(&path).unwrap();
    s.skip(100).unwrap();
    let mut buf = [0u8; 5];
    assert_eq!(s.read(&mut buf).unwrap(), 5);
    assert_eq!(&buf, &data[100..105]);
}

#[test]
fn flush_makes_data_visible_and_append_mode_appends() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    // An ordinary writable file: logs (`new_log_file`) are mapped, not
    // buffered.
    let path = format!("{dir}/000001.ldb");
    let mut w = env.new_writable_file(&path).unwrap();
    w.append(b"hello").unwrap();
    // Buffered: not yet in the file.
    assert_eq!(env.get_file_size(&path).unwrap(), 0);
    w.flush().unwrap();
    assert_eq!(env.get_file_size(&path).unwrap(), 5);
    w.sync().unwrap();
    drop(w); // dropping flushes and closes
    let mut a = env.new_appendable_file(&path).unwrap();
    a.append(b" world").unwrap();
    drop(a);
    assert_eq!(read_file_to_vec(&*env, &path).unwrap(), b"hello world");
    // A new writable file truncates.
    write_string_to_file(&*env, b"x", &path, true).unwrap();
    assert_eq!(read_file_to_vec(&*env, &path).unwrap(), b"x");
}

#[test]
fn manifest_sync_and_dir_sync_work() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let mut w = env
        .new_writable_file(&format!("{dir}/MANIFEST-000001"))
        .unwrap();
    w.append(b"abc").unwrap();
    w.sync().unwrap();
    w.close().unwrap();
    // Operations on a closed file fail instead of writing elsewhere.
    assert!(w.append(b"x").is_err());
    env.sync_dir(&dir).unwrap();
    let err = env.sync_dir(&format!("{dir}/missing")).unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn errors_name_the_file_like_posix_error() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let missing = format!("{dir}/nope");
    let err = env.new_sequential_file(&missing).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!("NotFound: {missing}: No such file or directory")
    );
    assert!(env.new_random_access_file(&missing).is_err());
    assert!(env.get_file_size(&missing).unwrap_err().is_not_found());
    assert!(env.remove_file(&missing).unwrap_err().is_not_found());
    assert!(env
        .rename_file(&missing, &format!("{dir}/x"))
        .unwrap_err()
        .is_not_found());
    assert!(env.get_children(&missing).unwrap_err().is_not_found());
    let err = env
        .new_writable_file(&format!("{dir}/no/such/dir/f"))
        .err()
        .unwrap();
    assert!(err.to_string().contains("/no/such/dir/f: "), "{err}");
    assert!(!env.file_exists(&missing));
}

#[test]
fn directories_and_children() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let sub = format!("{dir}/db");
    env.create_dir(&sub).unwrap();
    assert_eq!(
        env.create_dir(&sub).unwrap_err().to_string(),
        format!("IO error: {sub}: File exists")
    );
    write_string_to_file(&*env, b"1", &format!("{sub}/a"), false).unwrap();
    write_string_to_file(&*env, b"22", &format!("{sub}/b"), false).unwrap();
    let mut children = env.get_children(&sub).unwrap();
    children.sort();
    assert_eq!(children, vec!["a", "b"]);
    env.rename_file(&format!("{sub}/a"), &format!("{sub}/b"))
        .unwrap();
    assert_eq!(env.get_children(&sub).unwrap(), vec!["b"]);
    assert_eq!(env.get_file_size(&format!("{sub}/b")).unwrap(), 1);
    assert!(env.remove_dir(&sub).is_err()); // not empty
    env.remove_file(&format!("{sub}/b")).unwrap();
    env.remove_dir(&sub).unwrap();
    assert!(!env.file_exists(&sub));
    // A file in the way of a directory is an error.
    write_string_to_file(&*env, b"", &sub, false).unwrap();
    assert!(env.create_dir(&sub).is_err());
}

#[test]
fn lock_is_exclusive_within_the_process_and_released_on_drop() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/LOCK");
    let lock = env.lock_file(&path).unwrap();
    assert!(env.file_exists(&path));
    let err = env.lock_file(&path).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!("IO error: lock {path}: already held by process")
    );
    drop(lock);
    let again = env.lock_file(&path).unwrap();
    drop(again);
    let err = env.lock_file(&format!("{dir}/no/LOCK")).err().unwrap();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn lock_excludes_another_process() {
    // A forked child sees our fcntl lock as held by another process.
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/LOCK");
    let _lock = env.lock_file(&path).unwrap();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    // SAFETY: the child only calls async-signal-safe functions (fcntl,
    // _exit) before exiting.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = match fcntl_lock(&file, true) {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => 0,
            Err(e) if e.raw_os_error() == Some(libc::EACCES) => 0,
            _ => 1,
        };
        // SAFETY: _exit ends the forked child without running the
        // parent's destructors or test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: pid is our child; status is a valid out pointer.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
}

#[test]
fn logger_writes_leveldb_style_lines() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/LOG");
    let logger = env.new_logger(&path).unwrap();
    logger.log("hello 1");
    logger.log("second\n");
    drop(logger);
    let text = String::from_utf8(read_file_to_vec(&*env, &path).unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (line, message) in lines.iter().zip(["hello 1", "second"]) {
        // YYYY/MM/DD-HH:MM:SS.uuuuuu
        let (stamp, rest) = line.split_at(26);
        let b = stamp.as_bytes();
        assert_eq!(
            (b[4], b[7], b[10], b[13], b[16], b[19]),
            (b'/', b'/', b'-', b':', b':', b'.')
        );
        assert!(stamp
            .chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit()));
        let mut parts = rest[1..].splitn(2, ' ');
        let thread = parts.next().unwrap();
        assert!(!thread.is_empty() && thread.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(parts.next().unwrap(), message);
    }
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    // The logger appends (the DB renames LOG away before opening it).
    let logger = env.new_logger(&path).unwrap();
    logger.log("third");
    drop(logger);
    let text = String::from_utf8(read_file_to_vec(&*env, &path).unwrap()).unwrap();
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn schedule_runs_jobs_in_order_on_one_thread() {
    let env = PosixEnv::shared();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    for i in 0..20 {
        let order = order.clone();
        let tx = tx.clone();
        env.schedule(Box::new(move || {
            order.lock().push((i, std::thread::current().id()));
            if i == 19 {
                tx.send(()).unwrap();
            }
        }));
    }
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let order = order.lock();
    assert_eq!(
        order.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        (0..20).collect::<Vec<_>>()
    );
    assert!(order.iter().all(|(_, t)| *t == order[0].1));
    assert_ne!(order[0].1, std::thread::current().id());
}

#[test]
fn a_panicking_job_does_not_stop_the_queue() {
    let queue = BackgroundQueue::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    queue.schedule(Box::new(|| panic!("deliberate panic in a background job")));
    let ran2 = ran.clone();
    queue.schedule(Box::new(move || {
        ran2.fetch_add(1, Ordering::SeqCst);
        tx.send(()).unwrap();
    }));
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn clock_moves_forward_and_sleep_sleeps() {
    let env = PosixEnv::shared();
    let start = env.now_micros();
    env.sleep_for_micros(2000);
    assert!(env.now_micros() >= start + 2000);
}

#[test]
fn default_env_is_the_shared_posix_env() {
    assert!(Arc::ptr_eq(&crate::env::default_env(), &PosixEnv::shared()));
}

#[test]
fn dirname_and_basename() {
    assert_eq!(dirname("/a/b/MANIFEST-1"), "/a/b");
    assert_eq!(dirname("x"), ".");
    assert_eq!(basename("/a/b/MANIFEST-1"), "MANIFEST-1");
    assert_eq!(basename("x"), "x");
}

#[test]
fn mapped_files_are_limited_and_fall_back_to_pread() {
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}/t", dir.path().display());
    std::fs::write(&path, b"0123456789").unwrap();
    let empty = format!("{}/empty", dir.path().display());
    std::fs::write(&empty, b"").unwrap();
    let env = PosixEnv::shared();

    let e = env.new_random_access_file(&empty).unwrap();
    assert!(e.mapped().is_none());
    assert_eq!(e.read_at(0, &mut [0u8; 4]).unwrap(), 0);

    // Other tests map files concurrently, so only check what holding
    // more files than the limit guarantees: some are mapped, some are
    // not, and every one reads the same bytes.
    let files: Vec<_> = (0..MAX_MAPPED_FILES + 5)
        .map(|_| env.new_random_access_file(&path).unwrap())
        .collect();
    assert!(files.iter().any(|f| f.mapped().is_none()));
    assert!(MAPPED_FILES.load(Ordering::Relaxed) <= MAX_MAPPED_FILES);
    for f in &files {
        let mut buf = [0u8; 4];
        assert_eq!(f.read_at(8, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"89");
        if let Some(m) = f.mapped() {
            assert_eq!(m, b"0123456789");
        }
    }
    drop(files);
    // Slots come back when mapped files are dropped.
    let again = env.new_random_access_file(&path).unwrap();
    let mut buf = [0u8; 10];
    assert_eq!(again.read_at(0, &mut buf).unwrap(), 10);
}

/// The process's mappings from /proc/self/smaps: address range, the
/// path (empty for anonymous ones) and resident KiB.
#[cfg(target_os = "linux")]
fn smaps() -> Vec<(std::ops::Range<usize>, String, usize)> {
    let text = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut maps: Vec<(std::ops::Range<usize>, String, usize)> = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let range = fields
            .next()
            .and_then(|r| r.split_once('-'))
            .and_then(|(lo, hi)| {
                Some(usize::from_str_radix(lo, 16).ok()?..usize::from_str_radix(hi, 16).ok()?)
            });
        if let Some(range) = range {
            // address perms offset dev inode [path]
            let path = fields.nth(4).unwrap_or("").to_string();
            maps.push((range, path, 0));
        } else if let (Some(kib), Some(last)) = (line.strip_prefix("Rss:"), maps.last_mut()) {
            last.2 = kib.trim().trim_end_matches("kB").trim().parse().unwrap();
        }
    }
    maps
}

/// Resident KiB of the mapping that contains `addr`.
#[cfg(target_os = "linux")]
fn resident_kib_of_mapping(addr: usize) -> usize {
    smaps()
        .into_iter()
        .find(|(range, _, _)| range.contains(&addr))
        .unwrap_or_else(|| panic!("no mapping contains {addr:#x}"))
        .2
}

#[cfg(target_os = "linux")]
#[test]
fn release_range_drops_resident_pages_and_keeps_the_bytes() {
    let (_guard, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/t");
    let data: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i * 7 + i / 4096) as u8)
        .collect();
    write_string_to_file(&*env, &data, &path, false).unwrap();
    let r = env.new_random_access_file(&path).unwrap();
    let Some(map) = r.mapped() else {
        return; // no mapping slot left in this process: nothing to release
    };
    // Touch every page, then release all but the first 100 000 bytes with
    // an unaligned start and a length past the end.
    let sum: u64 = map.iter().step_by(4096).map(|&b| u64::from(b)).sum();
    assert!(sum > 0);
    let before = resident_kib_of_mapping(map.as_ptr() as usize);
    assert!(before >= 900, "pages were touched: {before} KiB");
    r.release_range(100_001, 10_000_000);
    let after = resident_kib_of_mapping(map.as_ptr() as usize);
    assert!(
        after <= 200,
        "{before} KiB resident before, {after} KiB after"
    );
    // The bytes read the same, through the slice and through read_at.
    assert_eq!(map, &data[..]);
    let mut buf = vec![0u8; 5000];
    assert_eq!(r.read_at(500_000, &mut buf).unwrap(), 5000);
    assert_eq!(&buf[..], &data[500_000..505_000]);
    // Out-of-range and empty requests are ignored.
    r.release_range(2_000_000, 10);
    r.release_range(0, 0);
    assert_eq!(map, &data[..]);
}

/// Resident KiB and number of the mappings of the file at `path`.
#[cfg(target_os = "linux")]
fn mappings_of_file(path: &str) -> (usize, usize) {
    smaps()
        .into_iter()
        .filter(|(_, p, _)| p == path)
        .fold((0, 0), |(kib, count), (_, _, rss)| (kib + rss, count + 1))
}

/// Waits up to ten seconds for `done`, which the page releaser thread
/// makes true in its own time.
#[cfg(target_os = "linux")]
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{what}: not after 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The page releaser does what the writer hands it: written pages leave
/// the resident set, replaced and closed chunks are unmapped, and none of
/// it changes a byte of the log.
#[cfg(target_os = "linux")]
#[test]
fn log_pages_are_given_back_and_chunks_unmapped_off_the_writers_path() {
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000011.log");
    let mut f = env.new_log_file(&path).unwrap();
    let record: Vec<u8> = (0..1000u32).map(|i| (i * 31 % 251) as u8).collect();
    let records = 3 * LOG_MAX_CHUNK / record.len();
    for _ in 0..records {
        f.append(&record).unwrap();
    }
    // Only the current chunk stays mapped, with at most a release step
    // (and the page being written) resident.
    let bound = (LOG_RELEASE_STEP + page_size()) / 1024;
    eventually("old chunks unmapped, written pages given back", || {
        let (kib, count) = mappings_of_file(&path);
        count == 1 && kib <= bound
    });
    f.close().unwrap();
    eventually("the last chunk unmapped after close", || {
        mappings_of_file(&path).1 == 0
    });
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), records * record.len());
    assert!(bytes.chunks(record.len()).all(|c| c == &record[..]));
}

/// Every payload of a large record goes into the page cache with pwrite,
/// even a short first or last fragment; only the headers' checksums and
/// commits are stored through the mapping. (A store into a fresh page of
/// the mapping faults, with read-ahead around it: in fill100K those faults
/// were a fifth of the writer's time.) Small records still go wholly
/// through the mapping.
#[test]
fn large_records_store_only_their_headers_through_the_mapping() {
    use crate::log::{self, BLOCK_SIZE, HEADER_SIZE};
    let stored = || STORED_THROUGH_MAPPING.with(|c| c.get());
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000012.log");
    let mut writer = log::Writer::new(env.new_log_file(&path).unwrap());
    let small = vec![b's'; 1000];
    let before = stored();
    writer.add_record(&small).unwrap();
    assert_eq!(stored() - before, small.len() + 8);
    // Leave 12 000 payload bytes in block 0, so the large record's first
    // and last fragments are short, with a whole block between them.
    let short = 12_000;
    let filler = vec![b'f'; BLOCK_SIZE - 3 * HEADER_SIZE - small.len() - short];
    writer.add_record(&filler).unwrap();
    let large: Vec<u8> = (0..short + (BLOCK_SIZE - HEADER_SIZE) + short)
        .map(|i| (i * 13 % 253) as u8)
        .collect();
    let before = stored();
    writer.add_record(&large).unwrap();
    // Three fragments: a 4-byte checksum and a 4-byte commit each.
    assert_eq!(stored() - before, 3 * 8);
    writer.file_mut().close().unwrap();
    let mut reader = log::Reader::new(env.new_sequential_file(&path).unwrap(), None, true, 0);
    for want in [&small, &filler, &large] {
        let mut rec = Vec::new();
        assert!(reader.read_record(&mut rec) && &rec == want);
    }
    assert!(!reader.read_record(&mut Vec::new()));
}

/// After a `sync`, writes into the page it wrote back go in with `pwrite`
/// (a store would fault on the page writeback write-protected); writes
/// into later pages go through the mapping again. The log reads back the
/// same either way.
#[test]
fn writes_into_the_page_a_sync_wrote_back_avoid_the_mapping() {
    use crate::log::{self, HEADER_SIZE};
    let stored = || STORED_THROUGH_MAPPING.with(|c| c.get());
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000014.log");
    let mut writer = log::Writer::new(env.new_log_file(&path).unwrap());
    let page = page_size();
    let record = |i: usize| vec![b'a' + (i % 26) as u8; 100];
    let mut written = Vec::new();

    // Unsynced: through the mapping.
    let before = stored();
    writer.add_record(&record(0)).unwrap();
    written.push(record(0));
    // The payload, then the 4-byte checksum and the 4-byte commit word
    // (which overlap in the 7-byte header).
    let through_mapping = 100 + 8;
    assert_eq!(stored() - before, through_mapping);

    // Synced ones: each lands in the page the previous sync wrote back.
    writer.file_mut().sync().unwrap();
    let mut position = 100 + HEADER_SIZE;
    let mut i = 1;
    while position + 100 + HEADER_SIZE <= page {
        let before = stored();
        writer.add_record(&record(i)).unwrap();
        writer.file_mut().sync().unwrap();
        written.push(record(i));
        assert_eq!(stored() - before, 0, "record {i} at {position}");
        position += 100 + HEADER_SIZE;
        i += 1;
    }

    // Past the synced page, stores into the mapping again: the record that
    // crosses into the next page starts in the synced one (pwrite); the
    // next starts in a page no sync has touched.
    let crossing = vec![b'x'; page];
    writer.add_record(&crossing).unwrap();
    written.push(crossing);
    let before = stored();
    writer.add_record(&record(i)).unwrap();
    written.push(record(i));
    assert_eq!(stored() - before, through_mapping);

    writer.file_mut().close().unwrap();
    let mut reader = log::Reader::new(env.new_sequential_file(&path).unwrap(), None, true, 0);
    for want in &written {
        let mut rec = Vec::new();
        assert!(reader.read_record(&mut rec));
        assert_eq!(&rec, want);
    }
    assert!(!reader.read_record(&mut Vec::new()));
}

/// Whether some descriptor of this process is open on `path` (deleted or
/// not).
#[cfg(target_os = "linux")]
fn has_open_descriptor(path: &str) -> bool {
    std::fs::read_dir("/proc/self/fd").unwrap().any(|entry| {
        std::fs::read_link(entry.unwrap().path()).is_ok_and(|target| {
            let target = target.to_string_lossy();
            target == path || target == format!("{path} (deleted)")
        })
    })
}

/// A discarded log is closed by the page releaser: its descriptor goes
/// (so a deleted log's space is freed) without the discarding thread
/// waiting for it, and nothing of it stays mapped.
#[cfg(target_os = "linux")]
#[test]
fn a_discarded_log_is_closed_and_unmapped() {
    let (_d, dir) = temp_dir();
    let env = PosixEnv::shared();
    let path = format!("{dir}/000013.log");
    let mut f = env.new_log_file(&path).unwrap();
    f.append(&vec![b'x'; 100_000]).unwrap();
    assert!(has_open_descriptor(&path));
    env.remove_file(&path).unwrap();
    f.discard().unwrap();
    eventually("the discarded log closed and unmapped", || {
        !has_open_descriptor(&path) && mappings_of_file(&format!("{path} (deleted)")).1 == 0
    });
    // Later calls see a closed file.
    assert!(f.append(b"more").is_err());
}
