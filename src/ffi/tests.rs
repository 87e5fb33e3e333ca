//! Unit tests of the C layer's helpers and of callbacks through C function
//! pointers (the C programs in `c_tests/` test the API as a whole).

use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

use super::*;
use crate::status::Error;

#[test]
fn malloc_c_string_cuts_at_nul() {
    let p = malloc_c_string(b"ab\0cd");
    // SAFETY: p is a fresh NUL-terminated malloc'ed string.
    unsafe {
        assert_eq!(CStr::from_ptr(p).to_bytes(), b"ab");
        libc::free(p.cast());
    }
}

#[test]
fn store_error_replaces_old_message() {
    let mut err: *mut c_char = std::ptr::null_mut();
    // SAFETY: err is NULL, then malloc'ed by store_error.
    unsafe {
        store_error(&mut err, &Error::corruption("one"));
        store_error(&mut err, &Error::invalid_argument("two"));
        assert_eq!(CStr::from_ptr(err).to_bytes(), b"Invalid argument: two");
        libc::free(err.cast());
    }
}

#[test]
fn bytes_from_accepts_null_empty_only() {
    // SAFETY: NULL pointers are never read.
    unsafe {
        assert_eq!(bytes_from(std::ptr::null(), 0), Some(&[][..]));
        assert_eq!(bytes_from(std::ptr::null(), 3), None);
    }
}

#[test]
fn panic_boundary_reports_through_errptr() {
    fn body(errptr: *mut *mut c_char) -> *mut c_char {
        boundary!("strata_unit_test", errptr, {
            if !errptr.is_null() {
                panic!("boom");
            }
            std::ptr::null_mut()
        })
    }
    let mut err: *mut c_char = std::ptr::null_mut();
    assert!(body(&mut err).is_null());
    // SAFETY: err was set to a malloc'ed string.
    unsafe {
        assert_eq!(
            CStr::from_ptr(err).to_str().unwrap(),
            "IO error: internal panic in strata_unit_test: boom"
        );
        libc::free(err.cast());
    }
}

use std::os::raw::c_int;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::filter::FilterPolicy;
use crate::util::comparator::Comparator;

static DESTROYED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn count_destroy(_: *mut c_void) {
    DESTROYED.fetch_add(1, Ordering::SeqCst);
}
unsafe extern "C" fn compare(
    _: *mut c_void,
    a: *const c_char,
    alen: usize,
    b: *const c_char,
    blen: usize,
) -> c_int {
    // SAFETY: the library passes buffers valid for their lengths.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a.cast::<u8>(), alen),
            std::slice::from_raw_parts(b.cast::<u8>(), blen),
        )
    };
    b.cmp(a) as c_int
}
unsafe extern "C" fn name(_: *mut c_void) -> *const c_char {
    c"test.reverse".as_ptr()
}

/// The comparator's destructor runs once, when its last user (here the
/// options, destroyed after the handle) is gone; the adapter calls the
/// C callbacks.
#[test]
fn comparator_destructor_runs_when_last_user_is_gone() {
    // SAFETY: valid callbacks and handles throughout.
    unsafe {
        let cmp = leveldb_comparator_create(
            std::ptr::null_mut(),
            Some(count_destroy),
            Some(compare),
            Some(name),
        );
        assert!(!cmp.is_null());
        let adapter = <leveldb_comparator_t as ArcHandle>::clone_arc(cmp).unwrap();
        assert_eq!(adapter.compare(b"a", b"b"), std::cmp::Ordering::Greater);
        assert_eq!(
            crate::util::comparator::Comparator::name(&*adapter),
            "test.reverse"
        );
        drop(adapter);
        let options = leveldb_options_create();
        leveldb_options_set_comparator(options, cmp);
        leveldb_comparator_destroy(cmp);
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 0, "options still use it");
        leveldb_options_destroy(options);
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);
        assert!(leveldb_comparator_create(std::ptr::null_mut(), None, None, Some(name)).is_null());
    }
}

unsafe extern "C" fn record_put(
    state: *mut c_void,
    k: *const c_char,
    klen: usize,
    v: *const c_char,
    vlen: usize,
) {
    // SAFETY: state is the Vec passed below; buffers valid for the call.
    unsafe {
        let log = &mut *state.cast::<Vec<String>>();
        let k = std::slice::from_raw_parts(k.cast::<u8>(), klen);
        let v = std::slice::from_raw_parts(v.cast::<u8>(), vlen);
        log.push(format!(
            "put {}={}",
            String::from_utf8_lossy(k),
            String::from_utf8_lossy(v)
        ));
    }
}
unsafe extern "C" fn record_delete(state: *mut c_void, k: *const c_char, klen: usize) {
    // SAFETY: as in record_put.
    unsafe {
        let log = &mut *state.cast::<Vec<String>>();
        let k = std::slice::from_raw_parts(k.cast::<u8>(), klen);
        log.push(format!("delete {}", String::from_utf8_lossy(k)));
    }
}

#[test]
fn write_batch_iterate_and_append_through_c() {
    let mut log: Vec<String> = Vec::new();
    // SAFETY: valid handles, buffers and callbacks throughout.
    unsafe {
        let a = leveldb_writebatch_create();
        let b = leveldb_writebatch_create();
        leveldb_writebatch_put(a, c"k1".as_ptr(), 2, c"v1".as_ptr(), 2);
        leveldb_writebatch_delete(b, c"k2".as_ptr(), 2);
        leveldb_writebatch_put(b, std::ptr::null(), 5, c"v".as_ptr(), 1); // ignored
        leveldb_writebatch_append(a, b);
        leveldb_writebatch_append(b, b);
        let state = (&mut log as *mut Vec<String>).cast::<c_void>();
        leveldb_writebatch_iterate(a, state, Some(record_put), Some(record_delete));
        leveldb_writebatch_iterate(b, state, Some(record_put), Some(record_delete));
        leveldb_writebatch_clear(a);
        leveldb_writebatch_iterate(a, state, Some(record_put), Some(record_delete));
        leveldb_writebatch_destroy(a);
        leveldb_writebatch_destroy(b);
    }
    assert_eq!(log, ["put k1=v1", "delete k2", "delete k2", "delete k2"]);
}

unsafe extern "C" fn create_filter(
    _: *mut c_void,
    keys: *const *const c_char,
    lens: *const usize,
    n: c_int,
    out_len: *mut usize,
) -> *mut c_char {
    // SAFETY: the library passes n keys; we return a malloc'ed buffer.
    unsafe {
        let n = n as usize;
        let mut joined = Vec::new();
        for i in 0..n {
            joined.extend_from_slice(std::slice::from_raw_parts(
                (*keys.add(i)).cast::<u8>(),
                *lens.add(i),
            ));
        }
        *out_len = joined.len();
        malloc_bytes(&joined)
    }
}
unsafe extern "C" fn may_match(
    _: *mut c_void,
    _: *const c_char,
    _: usize,
    _: *const c_char,
    filter_len: usize,
) -> u8 {
    u8::from(filter_len > 0)
}

#[test]
fn filter_policy_copies_and_frees_the_callback_buffer() {
    // SAFETY: valid callbacks and handles.
    unsafe {
        let p = leveldb_filterpolicy_create(
            std::ptr::null_mut(),
            None,
            Some(create_filter),
            Some(may_match),
            Some(name),
        );
        let policy = <leveldb_filterpolicy_t as ArcHandle>::clone_arc(p).unwrap();
        let mut dst = b"x".to_vec();
        policy.create_filter(&[&b"ab"[..], &b"c"[..]], &mut dst);
        assert_eq!(dst, b"xabc");
        assert!(policy.key_may_match(b"q", b"f"));
        assert!(!policy.key_may_match(b"q", b""));
        assert_eq!(crate::filter::FilterPolicy::name(&*policy), "test.reverse");
        drop(policy);
        leveldb_filterpolicy_destroy(p);
        let bloom = leveldb_filterpolicy_create_bloom(10);
        let policy = <leveldb_filterpolicy_t as ArcHandle>::clone_arc(bloom).unwrap();
        assert_eq!(
            crate::filter::FilterPolicy::name(&*policy),
            "leveldb.BuiltinBloomFilter2"
        );
        drop(policy);
        leveldb_filterpolicy_destroy(bloom);
    }
}

#[test]
fn test_directory_follows_test_tmpdir() {
    // SAFETY: valid handle; the result is malloc'ed.
    unsafe {
        let env = leveldb_create_default_env();
        let dir = leveldb_env_get_test_directory(env);
        let text = CStr::from_ptr(dir).to_str().unwrap().to_string();
        leveldb_free(dir.cast());
        leveldb_env_destroy(env);
        match std::env::var("TEST_TMPDIR") {
            Ok(d) if !d.is_empty() => assert_eq!(text, d),
            _ => assert_eq!(text, format!("/tmp/leveldbtest-{}", libc::geteuid())),
        }
    }
}
