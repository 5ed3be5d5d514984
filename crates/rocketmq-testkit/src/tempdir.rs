//! A fresh, uniquely named directory for a cluster's stores and logs, removed on drop.
//!
//! Where: `RMQ_TESTKIT_TMPDIR` when set; else `/dev/shm` when it is a roomy tmpfs; else the
//! system temp dir (`TMPDIR`). Why not simply the temp dir: rocketmq-rust, like Java, refuses to
//! start (exit 70) or to store (SYSTEM_BUSY) when its store filesystem is more than 90% used,
//! counted as 1 - available / size. On a shared build machine the root filesystem can sit near
//! that line because of other people's files (CI once failed every broker start this way),
//! while a test store needs only a few hundred MiB. A RAM-backed store is also faster.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Result, TestkitError};

/// Environment variable: when `1`, test directories are kept (and their path printed) on drop.
pub const KEEP_ENV: &str = "RMQ_TESTKIT_KEEP";

/// Environment variable: the directory under which cluster directories are made.
pub const TMPDIR_ENV: &str = "RMQ_TESTKIT_TMPDIR";

/// `/dev/shm` is used when at least this much of it is free (and it is at most half used).
const SHM_MIN_FREE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Where new directories go (see the module docs).
pub fn base_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(TMPDIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        if let Some(usage) = crate::process::disk_usage(shm) {
            if usage.free_bytes >= SHM_MIN_FREE_BYTES && usage.used_percent <= 50 {
                return shm.to_path_buf();
            }
        }
    }
    std::env::temp_dir()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether `RMQ_TESTKIT_KEEP=1` is set.
pub fn keep_requested() -> bool {
    std::env::var(KEEP_ENV).map(|v| v == "1" || v.eq_ignore_ascii_case("true")).unwrap_or(false)
}

/// A directory that is deleted (recursively) when dropped, unless kept.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    /// Create `<base>/<prefix>-<pid>-<time>-<n>` (`base_dir`); fails rather than reuse an
    /// existing directory.
    pub fn new(prefix: &str) -> Result<Self> {
        let base = base_dir();
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let mut last_error = None;
        for _ in 0..16 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let salt = fastrand::u32(..);
            let path = base.join(format!("{prefix}-{}-{nanos:x}-{n}-{salt:08x}", std::process::id()));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path, keep: keep_requested() }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(TestkitError::io(format!("cannot create {}", path.display()), e)),
            }
        }
        let error = last_error.unwrap_or_else(|| std::io::Error::other("name collision"));
        Err(TestkitError::io(format!("cannot create a unique directory in {}", base.display()), error))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keep the directory after drop.
    pub fn set_keep(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// Whether the directory will be kept.
    pub fn is_kept(&self) -> bool {
        self.keep
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("rmq-testkit: kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
