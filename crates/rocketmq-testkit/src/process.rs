//! Spawning, killing and watching one server process.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Result, TestkitError, TestkitErrorKind};

/// Environment variable copied into the servers' `RUST_LOG` (their own default when unset).
pub const RUST_LOG_ENV: &str = "RMQ_TESTKIT_RUST_LOG";

/// How to run one server: program, arguments, a private HOME, and a log file.
#[derive(Debug, Clone)]
pub(crate) struct ProcessSpec {
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Becomes HOME, ROCKETMQ_HOME and the working directory.
    pub home: PathBuf,
    /// stdout and stderr, appended across restarts.
    pub log: PathBuf,
}

impl ProcessSpec {
    /// Start the process. The environment is cleared (no NAMESRV_ADDR, no ROCKETMQ_* knobs
    /// leaking in from the caller) except PATH and TMPDIR.
    pub fn spawn(&self) -> Result<Child> {
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| TestkitError::io(format!("cannot open log {}", self.log.display()), e))?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let banner = format!(
            "=== rmq-testkit: starting {} at unix_ms={now}: {} {}\n",
            self.label,
            self.program.display(),
            self.args.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
        );
        log.write_all(banner.as_bytes())
            .map_err(|e| TestkitError::io(format!("cannot write log {}", self.log.display()), e))?;
        let stderr =
            log.try_clone().map_err(|e| TestkitError::io(format!("cannot reopen log {}", self.log.display()), e))?;

        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .env("HOME", &self.home)
            .env("ROCKETMQ_HOME", &self.home)
            .env("RUST_BACKTRACE", "1")
            .current_dir(&self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(stderr));
        for name in ["PATH", "TMPDIR"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        if let Some(filter) = std::env::var_os(RUST_LOG_ENV).filter(|v| !v.is_empty()) {
            command.env("RUST_LOG", filter);
        }
        command
            .spawn()
            .map_err(|e| TestkitError::io(format!("cannot start {} ({})", self.label, self.program.display()), e))
    }
}

/// One supervised process slot: the spec and, while running, the child.
#[derive(Debug)]
pub(crate) struct Slot {
    pub spec: ProcessSpec,
    child: Mutex<Option<Child>>,
}

impl Slot {
    pub fn new(spec: ProcessSpec) -> Self {
        Slot { spec, child: Mutex::new(None) }
    }

    fn child(&self) -> MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Start unless running. Returns false when it was already running.
    pub fn start(&self) -> Result<bool> {
        let mut guard = self.child();
        if let Some(child) = guard.as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                return Ok(false);
            }
        }
        *guard = Some(self.spec.spawn()?);
        Ok(true)
    }

    /// SIGKILL the process (by its handle) and reap it. No-op when not running.
    pub fn kill(&self) -> Result<()> {
        let taken = self.child().take();
        if let Some(mut child) = taken {
            if let Err(e) = child.kill() {
                // InvalidInput: it had already exited; it still needs reaping below.
                if e.kind() != std::io::ErrorKind::InvalidInput {
                    return Err(TestkitError::io(format!("cannot kill {}", self.spec.label), e));
                }
            }
            child.wait().map_err(|e| TestkitError::io(format!("cannot reap {}", self.spec.label), e))?;
        }
        Ok(())
    }

    /// The PID while the process is running.
    pub fn pid(&self) -> Option<u32> {
        let mut guard = self.child();
        let child = guard.as_mut()?;
        match child.try_wait() {
            Ok(None) => Some(child.id()),
            _ => None,
        }
    }

    /// `Ok` while the process runs; an error (with the log tail when it exited) otherwise.
    pub fn check_running(&self, during: &str) -> Result<()> {
        let mut guard = self.child();
        let Some(child) = guard.as_mut() else {
            return Err(TestkitError::new(
                TestkitErrorKind::ProcessExited,
                format!("{} is not running (killed {during}?)", self.spec.label),
            ));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                drop(guard);
                Err(self.exited_error(status, during))
            }
            Err(e) => Err(TestkitError::io(format!("cannot poll {}", self.spec.label), e)),
        }
    }

    /// Whether the process is running.
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// The log path, with a note when it will be deleted with the cluster directory.
    pub fn log_location(&self) -> String {
        if crate::tempdir::keep_requested() {
            self.spec.log.display().to_string()
        } else {
            format!("{}, deleted with the cluster unless RMQ_TESTKIT_KEEP=1", self.spec.log.display())
        }
    }

    /// The last lines of the log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.spec.log, 40)
    }

    /// An error for "exited while we waited", with the log tail.
    pub fn exited_error(&self, status: ExitStatus, during: &str) -> TestkitError {
        // rocketmq-rust reports every startup failure as exit 70 "Service lifecycle operation
        // failed", without the cause.
        let hint = if status.code() == Some(70) {
            // The one cause we can see from outside: the store filesystem. The broker maps a
            // 64 MiB commit log file at startup, and at more than 90% used (Java's and its
            // `diskSpaceWarningLevelRatio`, capped at 90) it marks the store not writeable and
            // fails to start. CI once failed every broker start this way, the log silent.
            let disk = match disk_usage(&self.spec.home) {
                Some(usage) if usage.free_bytes < LOW_DISK_BYTES || usage.used_percent >= FULL_DISK_PERCENT => {
                    format!(
                        "; the filesystem of {} is {}% used with {} MiB free: a broker needs about {} MiB and \
                         refuses to start above 90% used; free disk space",
                        self.spec.home.display(),
                        usage.used_percent,
                        usage.free_bytes / (1024 * 1024),
                        LOW_DISK_BYTES / (1024 * 1024)
                    )
                }
                _ => String::new(),
            };
            format!(
                "; rocketmq-rust hides the cause (exit 70): usually a port in use, an unknown or \
                 invalid config key, an unwritable store directory or a full disk{disk}"
            )
        } else {
            String::new()
        };
        TestkitError::new(
            TestkitErrorKind::ProcessExited,
            format!("{} exited with {status} {during} (log: {}){hint}", self.spec.label, self.log_location()),
        )
        .with_log_tail(self.log_tail())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// Below this much free space a broker start may fail: the testkit's commit log files are 64 MiB
/// (`mappedFileSizeCommitLog` in config.rs), mapped at startup, plus consume queues and indexes.
pub const LOW_DISK_BYTES: u64 = 128 * 1024 * 1024;

/// At this much use (as the broker counts it, 1 - available / size) its 90% warning level is near.
pub const FULL_DISK_PERCENT: u8 = 89;

/// Space on one filesystem, as `df -Pk` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    /// Bytes available to an unprivileged user.
    pub free_bytes: u64,
    /// 1 - available / size, in percent, rounded up: how rocketmq-rust (and Java's
    /// `UtilAll.getDiskPartitionSpaceUsedPercent`) count it. Not `df`'s capacity column, which
    /// leaves out space that is neither used nor available to us (other tenants, reserved).
    pub used_percent: u8,
}

/// Space on the filesystem holding `dir`, from `df -Pk` (POSIX output; no libc binding
/// needed); `None` where `df` is missing or says something else.
pub fn disk_usage(dir: &Path) -> Option<DiskUsage> {
    let out = Command::new("df").arg("-Pk").arg(dir).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    parse_df(&String::from_utf8_lossy(&out.stdout))
}

/// The size and "Available" columns (KiB) of the last line of `df -Pk` output.
fn parse_df(output: &str) -> Option<DiskUsage> {
    let line = output.lines().rfind(|l| !l.trim().is_empty())?;
    // Filesystem 1024-blocks Used Available Capacity Mounted-on; the filesystem name may
    // contain spaces, so count from the right.
    let fields: Vec<&str> = line.split_whitespace().collect();
    let n = fields.len();
    let size: u64 = fields.get(n.checked_sub(5)?)?.parse().ok()?;
    let available: u64 = fields.get(n.checked_sub(3)?)?.parse().ok()?;
    let available_percent = (available.min(size) * 100).checked_div(size).unwrap_or(0);
    let used_percent = u8::try_from(100 - available_percent).unwrap_or(100);
    Some(DiskUsage { free_bytes: available * 1024, used_percent })
}

/// The last `lines` lines (at most 16 KiB) of a text file; empty if unreadable.
pub fn log_tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 16 * 1024;
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(MAX);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = strip_ansi(&String::from_utf8_lossy(&bytes));
    let all: Vec<&str> = text.lines().collect();
    let skip = all.len().saturating_sub(lines);
    all[skip..].join("\n")
}

/// Remove ANSI colour escapes (`ESC [ ... letter`) so tails read well in test output.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a live (not zombie) process with this PID exists. Linux only (`/proc/<pid>/stat`);
/// elsewhere always false.
pub fn pid_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) else {
        return false;
    };
    // "<pid> (<comm>) <state> ...": comm may contain spaces and parentheses, so split at the last ')'.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z') | Some('X') | None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn df_available_and_capacity_columns_are_read_from_the_right() {
        let out = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                   /dev/vda         263174212  39010188  55400000      42% /\n";
        // 55,400,000 of 263,174,212 KiB available: 79% used as the broker counts it, though
        // df's capacity column says 42% (space that is neither used nor ours).
        assert_eq!(parse_df(out), Some(DiskUsage { free_bytes: 55_400_000 * 1024, used_percent: 79 }));
        // A filesystem name with a space (macOS "map auto_home") still parses.
        let out = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                   map auto_home 0 0 0 100% /System/Volumes/Data/home\n";
        assert_eq!(parse_df(out), Some(DiskUsage { free_bytes: 0, used_percent: 100 }));
        assert_eq!(parse_df("garbage"), None);
        assert_eq!(parse_df(""), None);
    }

    #[test]
    fn disk_usage_of_the_temp_dir_is_known_here() {
        // Every machine the tests run on has df; a None here would silence the disk hint.
        let usage = disk_usage(&std::env::temp_dir());
        assert!(usage.is_some_and(|u| u.used_percent <= 100), "df -Pk of the temp dir gave {usage:?}");
    }
}
