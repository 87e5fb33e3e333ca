//! An in-memory environment for tests (placeholder until the env work lands).
