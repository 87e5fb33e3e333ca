//! Fuzzes the log reader with arbitrary file contents.
//!
//! The first input byte picks the mode: bit 0 turns checksum verification
//! off (so the fuzzer reaches the fragment reassembly behind the CRC), bit 1
//! uses the next 3 bytes as an initial offset, bit 2 makes the file return
//! short reads. Properties: no panic; every reported drop is at most the file
//! size plus a block; with checksums on and no initial offset, re-writing
//! the records read and reading them back gives the same records.
use std::sync::{Arc, Mutex};

use leveldb::env::{SequentialFile, WritableFile};
use leveldb::log::{Reader, Reporter, Writer, BLOCK_SIZE};
use leveldb::{Error, Result};

struct Source {
    data: Vec<u8>,
    pos: usize,
    max_chunk: usize,
}

impl SequentialFile for Source {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = buf
            .len()
            .min(self.data.len() - self.pos)
            .min(self.max_chunk);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
    fn skip(&mut self, n: u64) -> Result<()> {
        let left = (self.data.len() - self.pos) as u64;
        self.pos += n.min(left) as usize;
        Ok(())
    }
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl WritableFile for Sink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

#[derive(Clone)]
struct Drops(Arc<Mutex<usize>>);

impl Reporter for Drops {
    fn corruption(&mut self, bytes: usize, _reason: &Error) {
        *self.0.lock().unwrap() += bytes;
    }
}

fn read_all(
    data: Vec<u8>,
    checksum: bool,
    initial_offset: u64,
    max_chunk: usize,
) -> (Vec<Vec<u8>>, usize) {
    let drops = Drops(Arc::new(Mutex::new(0)));
    let source = Source {
        data,
        pos: 0,
        max_chunk,
    };
    let mut reader = Reader::new(
        Box::new(source),
        Some(Box::new(drops.clone())),
        checksum,
        initial_offset,
    );
    let mut records = Vec::new();
    let mut record = Vec::new();
    while reader.read_record(&mut record) {
        records.push(record.clone());
    }
    let dropped = *drops.0.lock().unwrap();
    (records, dropped)
}

pub fn run(input: &[u8]) {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let checksum = mode & 1 == 0;
    let (initial_offset, file) = if mode & 2 != 0 && rest.len() >= 3 {
        let o = u64::from(rest[0]) | u64::from(rest[1]) << 8 | u64::from(rest[2]) << 16;
        (o, &rest[3..])
    } else {
        (0, rest)
    };
    let max_chunk = if mode & 4 != 0 {
        1 + usize::from(mode >> 3)
    } else {
        usize::MAX
    };

    let (records, dropped) = read_all(file.to_vec(), checksum, initial_offset, max_chunk);
    // Each block is dropped at most once (a read error, which cannot happen
    // here, would count a whole block).
    assert!(dropped <= file.len() + BLOCK_SIZE);

    if checksum && initial_offset == 0 {
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut writer = Writer::new(Box::new(Sink(out.clone())));
        for r in &records {
            writer.add_record(r).unwrap();
        }
        let bytes = out.lock().unwrap().clone();
        let (again, dropped) = read_all(bytes, true, 0, usize::MAX);
        assert_eq!(dropped, 0);
        assert_eq!(again, records);
    }
}
