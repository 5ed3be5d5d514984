//! Message encoding: see the submodules.

pub mod hash;
