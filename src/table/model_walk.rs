//! Test support: walks an iterator with random operations and checks every
//! position against a sorted model (the block, merging and table tests share
//! it).

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::iterator::InternalIterator;

/// One move of a walk.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Next,
    Prev,
    Seek(Vec<u8>),
    First,
    Last,
}

/// Applies `op` to `it` and returns where the model says it now stands
/// (`None`: not valid). `next`/`prev` are only issued while valid.
pub(crate) fn step(
    it: &mut dyn InternalIterator,
    model: &[(Vec<u8>, Vec<u8>)],
    pos: Option<usize>,
    op: &Op,
) -> Option<usize> {
    match op {
        Op::Next => pos.map(|p| {
            it.next();
            p + 1
        }),
        Op::Prev => pos.and_then(|p| {
            it.prev();
            p.checked_sub(1)
        }),
        Op::Seek(t) => {
            it.seek(t);
            Some(model.partition_point(|(k, _)| k < t))
        }
        Op::First => {
            it.seek_to_first();
            Some(0)
        }
        Op::Last => {
            it.seek_to_last();
            model.len().checked_sub(1)
        }
    }
    .filter(|&p| p < model.len())
}

/// Checks that `it` stands at `model[pos]`, or is invalid for `None`.
pub(crate) fn check_position(
    it: &dyn InternalIterator,
    model: &[(Vec<u8>, Vec<u8>)],
    pos: Option<usize>,
) -> Result<(), TestCaseError> {
    match pos {
        Some(p) => {
            prop_assert!(it.valid());
            prop_assert_eq!(it.key(), &model[p].0[..]);
            prop_assert_eq!(it.value(), &model[p].1[..]);
        }
        None => prop_assert!(!it.valid()),
    }
    Ok(())
}
