//! The seeded generator of operation scripts: the same seed gives the same
//! script on every run and machine.
//!
//! A script opens a database with options drawn for the run (write buffer,
//! block size, restart interval, table size, open files, cache, Bloom
//! filter, compression, paranoid checks; the comparator, bytewise or
//! reverse, is fixed for the run because a database keeps its comparator),
//! then mixes writes (puts, deletes, batches, a few synced), point reads
//! (some at snapshots), iterators (created at snapshots or not, walked both
//! ways, sought before the first and after the last key), snapshots,
//! compactions of random and whole ranges, properties and approximate
//! sizes, with closes and reopens (some with other options, some after a
//! repair or a failing open), and ends with a close, a destroy and a failing
//! open of the destroyed database. Keys and values go for the edges: the
//! empty key and value, long shared prefixes, keys differing only in the
//! last byte, a hot key with many versions, absent keys, values around the
//! block size and above a 32 KiB log block. One run in eight also writes
//! bulk batches, to grow past level 1.
//!
//! Invariant: the script is well formed for the driver: every handle it
//! uses is live, and nothing runs on a closed database except what should
//! (so the driver never prints "closed" or "no iterator" for it).
//! Every operation that runs on a closed database carries a hand-over
//! annotation naming the library that runs that segment.

use crate::script::{annotate, generated, literal};
use crate::support::{Library, Rng};

/// Live iterators and snapshots at most (the driver has 64 handles).
const HANDLES: usize = 6;

fn one_in(rng: &mut Rng, n: u64) -> bool {
    rng.below(n) == 0
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len() as u64) as usize]
}

/// The options of one open, as `key=value` tokens.
fn open_options(rng: &mut Rng, reverse: bool) -> String {
    let mut o = Vec::new();
    // Below LevelDB's minimums too (64 KiB buffer, 1 KiB blocks, 1 MiB
    // tables, 74 open files): both must clamp alike.
    o.push(format!(
        "wbuf={}",
        pick(rng, &[1000, 65536, 100_000, 262_144, 1 << 20, 4 << 20])
    ));
    o.push(format!(
        "block={}",
        pick(rng, &[100, 1024, 2048, 4096, 4096, 16384, 65536])
    ));
    o.push(format!("restart={}", pick(rng, &[1, 2, 4, 16, 16, 64])));
    o.push(format!(
        "maxfile={}",
        pick(rng, &[1000, 1 << 20, 2 << 20, 2 << 20])
    ));
    if one_in(rng, 3) {
        o.push(format!("files={}", pick(rng, &[10, 74, 100])));
    }
    if one_in(rng, 3) {
        o.push(format!("cache={}", pick(rng, &[1, 4096, 100_000])));
    }
    o.push(format!("bloom={}", pick(rng, &[0, 0, 1, 10])));
    o.push(format!("comp={}", rng.below(2)));
    if one_in(rng, 4) {
        o.push("paranoid=1".to_string());
    }
    if reverse {
        o.push("cmp=rev".to_string());
    }
    o.join(" ")
}

/// The keys of one run, drawn from the shapes that hit the edges.
struct Keys {
    pool: Vec<Vec<u8>>,
    hot: Vec<u8>,
}

impl Keys {
    fn new(rng: &mut Rng) -> Keys {
        let numeric = *pick(rng, &[20u64, 200, 2000]);
        let mut pool: Vec<Vec<u8>> = (0..numeric.min(300))
            .map(|_| format!("k{:05}", rng.below(numeric)).into_bytes())
            .collect();
        // Long shared prefixes, differing late.
        let prefix_len = 40 + rng.below(260) as usize;
        let prefix: Vec<u8> = (0..prefix_len).map(|i| b"prefix/"[i % 7]).collect();
        for i in 0..20 {
            let mut k = prefix.clone();
            k.extend(format!("{i:03}").bytes());
            pool.push(k);
        }
        // Keys differing only in their last byte, and prefixes of each
        // other.
        for last in [0x00u8, 0x01, 0x7f, 0x80, 0xfe, 0xff] {
            pool.push(vec![b'l', b'b', last]);
        }
        pool.push(b"lb".to_vec());
        pool.push(b"l".to_vec());
        pool.push(Vec::new());
        for _ in 0..10 {
            let len = 1 + rng.below(8) as usize;
            pool.push((0..len).map(|_| rng.below(256) as u8).collect());
        }
        Keys {
            pool,
            hot: b"hot".to_vec(),
        }
    }

    /// A key for any operation: mostly from the pool, sometimes the hot key
    /// or a fresh (probably absent) one.
    fn any(&self, rng: &mut Rng) -> Vec<u8> {
        match rng.below(20) {
            0..=2 => self.hot.clone(),
            3 => {
                let len = rng.below(12) as usize;
                (0..len).map(|_| rng.below(256) as u8).collect()
            }
            4 => format!("k{:05}x", rng.below(100_000)).into_bytes(),
            _ => pick(rng, &self.pool).clone(),
        }
    }

    /// A seek target: any key, or one before the first or after the last.
    fn seek(&self, rng: &mut Rng) -> Vec<u8> {
        match rng.below(8) {
            0 => Vec::new(),
            1 => vec![0xff; 1 + rng.below(4) as usize],
            2 => vec![0x00],
            _ => self.any(rng),
        }
    }
}

/// A value: empty, small, medium, around the block size, or larger than a
/// log block. `serial` makes values distinct.
fn value(rng: &mut Rng, block: usize, serial: u64) -> String {
    let len = match rng.below(40) {
        0..=3 => 0,
        4..=7 => return literal(format!("v{serial}").as_bytes()),
        8..=25 => 1 + rng.below(100) as usize,
        26..=33 => 100 + rng.below(3000) as usize,
        34..=36 => (block + rng.below(64) as usize).saturating_sub(32),
        37 | 38 => 32768 - 40 + rng.below(80) as usize,
        _ => 40_000 + rng.below(100_000) as usize,
    };
    generated(len, serial * 2 + rng.below(2))
}

/// Builds the script of `seed`, about `ops` operations long.
pub fn generate(seed: u64, ops: usize) -> Vec<String> {
    Generator::new(seed).run(ops)
}

struct Generator {
    rng: Rng,
    keys: Keys,
    reverse: bool,
    options: String,
    block: usize,
    lines: Vec<String>,
    serial: u64,
    iters: Vec<Option<bool>>,
    snaps: Vec<bool>,
    /// Operations between reopens, on average: a few long sessions (deep
    /// levels) or many short ones (many hand-overs).
    reopen_every: u64,
    /// One run in eight writes bulk batches too (`bulk`).
    heavy: bool,
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut rng = Rng::new(seed);
        let keys = Keys::new(&mut rng);
        let reverse = one_in(&mut rng, 3);
        let options = open_options(&mut rng, reverse);
        let mut g = Generator {
            rng,
            keys,
            reverse,
            options,
            block: 4096,
            lines: vec![format!("# differential script, seed {seed}")],
            serial: 0,
            iters: vec![None; HANDLES],
            snaps: vec![false; HANDLES],
            reopen_every: 0,
            heavy: false,
        };
        g.reopen_every = *pick(&mut g.rng, &[20, 50, 100, 300]);
        g.heavy = one_in(&mut g.rng, 8);
        g.block = g.option("block").max(1024);
        g
    }

    fn option(&self, name: &str) -> usize {
        self.options
            .split(' ')
            .find_map(|t| t.strip_prefix(name)?.strip_prefix('='))
            .map_or(0, |v| v.parse().unwrap())
    }

    fn side(&mut self) -> Library {
        if one_in(&mut self.rng, 2) {
            Library::Ours
        } else {
            Library::Reference
        }
    }

    /// An operation on the closed database: the start of a hand-over
    /// segment, run by a library drawn here.
    fn closed(&mut self, op: String) {
        let side = self.side();
        self.lines.push(annotate(&op, side));
    }

    fn push(&mut self, op: String) {
        self.lines.push(op);
    }

    fn key(&mut self) -> String {
        literal(&self.keys.any(&mut self.rng))
    }

    fn value(&mut self) -> String {
        self.serial += 1;
        value(&mut self.rng, self.block, self.serial)
    }

    fn live_snapshot(&mut self) -> Option<usize> {
        let live: Vec<usize> = (0..HANDLES).filter(|&s| self.snaps[s]).collect();
        (!live.is_empty()).then(|| *pick(&mut self.rng, &live))
    }

    fn read_flags(&mut self) -> String {
        let mut f = String::new();
        if self.rng.below(3) == 0 {
            if let Some(s) = self.live_snapshot() {
                f += &format!(" +snap={s}");
            }
        }
        if one_in(&mut self.rng, 8) {
            f += " +verify";
        }
        if one_in(&mut self.rng, 8) {
            f += " +nocache";
        }
        f
    }

    fn run(mut self, ops: usize) -> Vec<String> {
        let first = format!("open {}", self.options);
        self.closed(first);
        while self.lines.len() < ops {
            self.step();
        }
        self.push("close".to_string());
        let o = self.options.clone();
        self.closed(format!("destroy {o}"));
        self.closed(format!("badopen missing {o}"));
        self.closed(format!("open {o}"));
        let k = self.key();
        self.push(format!("get {k}"));
        self.push("close".to_string());
        self.closed(format!("destroy {o}"));
        self.lines
    }

    fn step(&mut self) {
        match self.rng.below(100) {
            0..=24 => {
                let (k, v) = (self.key(), self.value());
                let sync = if one_in(&mut self.rng, 50) {
                    " +sync"
                } else {
                    ""
                };
                self.push(format!("put {k} {v}{sync}"));
            }
            25..=32 => {
                let k = self.key();
                self.push(format!("del {k}"));
            }
            33..=40 => self.batch(),
            41..=58 => {
                let k = self.key();
                let flags = self.read_flags();
                self.push(format!("get {k}{flags}"));
            }
            59..=77 => self.iterate(),
            78..=81 => self.snapshot(),
            82..=84 => self.compact(),
            85..=86 => {
                let name = self.property();
                self.push(format!("prop {name}"));
            }
            87 => self.sizes(),
            88..=97 => {
                // Each reopen is a possible hand-over.
                if one_in(&mut self.rng, self.reopen_every / 10) {
                    self.reopen();
                }
            }
            _ => self.misuse(),
        }
    }

    fn batch(&mut self) {
        if self.heavy && one_in(&mut self.rng, 3) {
            return self.bulk();
        }
        let n = match self.rng.below(10) {
            0 => 0,
            1 => 20 + self.rng.below(80),
            _ => 1 + self.rng.below(8),
        };
        let mut line = "batch".to_string();
        let mut last_key = self.key();
        for _ in 0..n {
            // Sometimes the same key again: later entries of a batch win.
            let k = if one_in(&mut self.rng, 4) {
                last_key.clone()
            } else {
                self.key()
            };
            if one_in(&mut self.rng, 3) {
                line += &format!(" d {k}");
            } else {
                let v = self.value();
                line += &format!(" p {k} {v}");
            }
            last_key = k;
        }
        if one_in(&mut self.rng, 30) {
            line += " +sync";
        }
        self.push(line);
    }

    /// A batch of 200-300 puts of 0.5-3 KB under keys of their own: the
    /// heavy runs grow past level 1's 10 MiB, so automatic compactions
    /// reach deeper levels. (At most 300: the driver reads up to 1024
    /// tokens a line.)
    fn bulk(&mut self) {
        let mut line = "batch".to_string();
        for _ in 0..200 + self.rng.below(100) {
            self.serial += 1;
            let k = format!("b{:06}", self.rng.below(100_000));
            let len = 500 + self.rng.below(2500) as usize;
            line += &format!(
                " p '{k} {}",
                generated(len, self.serial * 2 + self.rng.below(2))
            );
        }
        self.push(line);
    }

    fn iterate(&mut self) {
        let live: Vec<usize> = (0..HANDLES).filter(|&i| self.iters[i].is_some()).collect();
        if live.is_empty() || (live.len() < HANDLES && one_in(&mut self.rng, 6)) {
            let i = (0..HANDLES).find(|&i| self.iters[i].is_none()).unwrap();
            let flags = self.read_flags();
            self.push(format!("iter {i}{flags}"));
            self.iters[i] = Some(false);
            return;
        }
        let i = *pick(&mut self.rng, &live);
        let positioned = self.iters[i] == Some(true);
        match self.rng.below(20) {
            0..=1 => self.push(format!("seekfirst {i}")),
            2..=3 => self.push(format!("seeklast {i}")),
            4..=6 => {
                let k = literal(&self.keys.seek(&mut self.rng));
                self.push(format!("seek {i} {k}"));
            }
            7..=18 if positioned => {
                let op = if one_in(&mut self.rng, 2) {
                    "next"
                } else {
                    "prev"
                };
                let n = match self.rng.below(10) {
                    0 => 1000,
                    1 | 2 => 20 + self.rng.below(50),
                    _ => 1 + self.rng.below(5),
                };
                self.push(format!("{op} {i} {n}"));
            }
            7..=18 => {
                let k = literal(&self.keys.seek(&mut self.rng));
                self.push(format!("seek {i} {k}"));
            }
            _ => {
                self.push(format!("iterend {i}"));
                self.iters[i] = None;
                return;
            }
        }
        self.iters[i] = Some(true);
    }

    fn snapshot(&mut self) {
        match self.live_snapshot() {
            Some(s) if one_in(&mut self.rng, 2) => {
                self.push(format!("release {s}"));
                self.snaps[s] = false;
            }
            _ => {
                if let Some(s) = (0..HANDLES).find(|&s| !self.snaps[s]) {
                    self.push(format!("snap {s}"));
                    self.snaps[s] = true;
                }
            }
        }
    }

    /// Two keys in the comparator's order (most of the time).
    fn range(&mut self) -> (String, String) {
        let mut a = self.keys.seek(&mut self.rng);
        let mut b = self.keys.seek(&mut self.rng);
        if (a > b) != self.reverse && !one_in(&mut self.rng, 8) {
            std::mem::swap(&mut a, &mut b);
        }
        (literal(&a), literal(&b))
    }

    fn compact(&mut self) {
        let line = match self.rng.below(4) {
            0 => "compact - -".to_string(),
            1 => {
                let (a, _) = self.range();
                format!("compact {a} -")
            }
            2 => {
                let (_, b) = self.range();
                format!("compact - {b}")
            }
            _ => {
                let (a, b) = self.range();
                format!("compact {a} {b}")
            }
        };
        self.push(line);
    }

    fn property(&mut self) -> String {
        let level = self.rng.below(9);
        pick(
            &mut self.rng,
            &[
                format!("leveldb.num-files-at-level{level}"),
                format!("leveldb.num-files-at-level0{level}"),
                "leveldb.num-files-at-level".to_string(),
                "leveldb.num-files-at-level1x".to_string(),
                "leveldb.num-files-at-level-1".to_string(),
                "leveldb.stats".to_string(),
                "leveldb.sstables".to_string(),
                "leveldb.approximate-memory-usage".to_string(),
                "leveldb.unknown".to_string(),
                "leveldb.".to_string(),
                "other.stats".to_string(),
            ],
        )
        .clone()
    }

    fn sizes(&mut self) {
        let mut line = "sizes".to_string();
        line += &format!(" {} {}", literal(b""), literal(&[0xff; 4]));
        if self.reverse {
            line = format!("sizes {} {}", literal(&[0xff; 4]), literal(b""));
        }
        for _ in 0..self.rng.below(4) {
            let (a, b) = self.range();
            line += &format!(" {a} {b}");
        }
        self.push(line);
    }

    /// Close (iterators and snapshots go with it), maybe a repair or a
    /// failing open in between, and open again, maybe with other options.
    fn reopen(&mut self) {
        let repair = one_in(&mut self.rng, 4);
        if repair {
            self.settle_for_repair();
        }
        self.push("close".to_string());
        self.iters = vec![None; HANDLES];
        self.snaps = vec![false; HANDLES];
        if one_in(&mut self.rng, 2) {
            self.options = open_options(&mut self.rng, self.reverse);
            self.block = self.option("block").max(1024);
        }
        let o = self.options.clone();
        if one_in(&mut self.rng, 40) {
            self.closed(format!("destroy {o}"));
        }
        if repair {
            self.closed(format!("repair {o}"));
        }
        if one_in(&mut self.rng, 8) {
            let kind = pick(&mut self.rng, &["exists", "cmp", "missing"]);
            self.closed(format!("badopen {kind} {o}"));
        }
        self.closed(format!("open {o}"));
        if repair {
            // The repair put every table at level 0, where a get (LevelDB's
            // and ours) takes the table with the highest file number holding
            // the key, not the newest entry, and each library cut its tables
            // elsewhere. A whole-range compaction merges them by sequence
            // number.
            self.push("compact - -".to_string());
        }
    }

    /// Brings the database to a state whose repair has one right answer.
    /// A repair rebuilds from every table and log in the directory, also
    /// obsolete ones a library has not deleted yet: the inputs of a
    /// compaction cut short by the close, or files a live iterator still
    /// pinned. Those can bring back deleted keys (with LevelDB 1.23 alone,
    /// from one run to the next). So: no iterators or snapshots, a
    /// whole-range compaction (one version per key, no deletion markers,
    /// obsolete files deleted), then a few writes that only the log holds.
    fn settle_for_repair(&mut self) {
        for i in 0..HANDLES {
            if self.iters[i].take().is_some() {
                self.push(format!("iterend {i}"));
            }
            if std::mem::take(&mut self.snaps[i]) {
                self.push(format!("release {i}"));
            }
        }
        self.push("compact - -".to_string());
        for _ in 0..self.rng.below(5) {
            let k = self.key();
            if one_in(&mut self.rng, 3) {
                self.push(format!("del {k}"));
            } else {
                let v = literal(format!("r{}", self.lines.len()).as_bytes());
                self.push(format!("put {k} {v}"));
            }
        }
    }

    /// Calls that must fail on an open database: a second open or a
    /// destroy while it holds its lock. (Not a repair: LevelDB 1.23 repairs
    /// an open database underneath its owner, Strata refuses; README lists
    /// the difference.)
    fn misuse(&mut self) {
        let o = self.options.clone();
        let line = if one_in(&mut self.rng, 2) {
            format!("badopen exists {o}")
        } else {
            format!("destroy {o}")
        };
        self.push(line);
    }
}
