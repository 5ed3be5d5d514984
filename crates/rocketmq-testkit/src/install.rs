//! Where the rocketmq-rust binaries live (`scripts/install-broker.sh` puts them there).

use std::path::{Path, PathBuf};

use crate::error::{Result, TestkitError, TestkitErrorKind};

/// The rocketmq-rust release the testkit is written against.
pub const ROCKETMQ_RUST_VERSION: &str = "1.0.0";
/// File name of the name server binary (crate `rocketmq-namesrv`).
pub const NAMESRV_BIN: &str = "rocketmq-namesrv-rust";
/// File name of the broker binary (crate `rocketmq-broker`).
pub const BROKER_BIN: &str = "rocketmq-broker-rust";
/// Environment variable naming the install root (the directory holding `bin/`).
pub const HOME_ENV: &str = "ROCKETMQ_RUST_HOME";

/// Paths of the two server binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The name server binary.
    pub namesrv: PathBuf,
    /// The broker binary.
    pub broker: PathBuf,
}

impl Binaries {
    /// The default install root: `~/.cache/rocketmq-py/rocketmq-rust-1.0.0`.
    pub fn default_home() -> Option<PathBuf> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
        Some(PathBuf::from(home).join(".cache/rocketmq-py").join(format!("rocketmq-rust-{ROCKETMQ_RUST_VERSION}")))
    }

    /// Locate the binaries from `ROCKETMQ_RUST_HOME`, else the default install root.
    pub fn locate() -> Result<Self> {
        match std::env::var_os(HOME_ENV).filter(|h| !h.is_empty()) {
            Some(home) => Binaries::in_home(Path::new(&home)),
            None => match Binaries::default_home() {
                Some(home) => Binaries::in_home(&home),
                None => Err(TestkitError::new(
                    TestkitErrorKind::BinaryNotFound,
                    format!(
                        "neither {HOME_ENV} nor HOME is set; run scripts/install-broker.sh and set \
                         {HOME_ENV} to the path it prints"
                    ),
                )),
            },
        }
    }

    /// Locate the binaries under `home` (either the install root holding `bin/`, or `bin/` itself).
    pub fn in_home(home: &Path) -> Result<Self> {
        for dir in [home.join("bin"), home.to_path_buf()] {
            let namesrv = dir.join(NAMESRV_BIN);
            let broker = dir.join(BROKER_BIN);
            if namesrv.is_file() && broker.is_file() {
                return Ok(Binaries { namesrv, broker });
            }
        }
        Err(TestkitError::new(
            TestkitErrorKind::BinaryNotFound,
            format!(
                "rocketmq-rust {ROCKETMQ_RUST_VERSION} is not installed: {NAMESRV_BIN} and {BROKER_BIN} not found in {}; \
                 run scripts/install-broker.sh (it builds them into ~/.cache/rocketmq-py, ~20 min once) \
                 or set {HOME_ENV} to the directory it printed",
                home.join("bin").display()
            ),
        ))
    }
}
