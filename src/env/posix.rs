//! The POSIX environment (placeholder until the env work lands).

use std::sync::Arc;

use super::Env;

pub struct PosixEnv;

impl PosixEnv {
    pub fn shared() -> Arc<dyn Env> {
        unimplemented!("PosixEnv lands with the env module")
    }
}
