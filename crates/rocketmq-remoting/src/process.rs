//! Which process this is, for state that must not cross a `fork()`.
//!
//! A forked child inherits the parent's memory but only the thread that called `fork()`: a
//! tokio runtime copied into the child has no worker threads, and its epoll instance, sockets
//! and eventfds are *shared* with the parent's (they are the same open file descriptions). A
//! child that registers, reads, writes or closes through them changes what the parent sees:
//! `epoll_wait` in the child consumes edge-triggered events meant for the parent, `EPOLL_CTL_DEL`
//! on drop removes the parent's interest. So nothing process-wide may be *used* across a fork,
//! and nothing inherited may even be *dropped* normally in the child.
//!
//! * [`generation`] is a counter bumped in the child by a `pthread_atfork` handler (Unix; it
//!   stays 0 elsewhere, where there is no fork). Reading it costs one atomic load.
//! * [`PerProcess`] is a lazily built value that is built again in a child (the inherited one is
//!   leaked, never dropped): the runtime, the callback thread, the message-id prefix.
//! * [`ProcessOwned`] wraps a value that belongs to the process that created it (a started
//!   client): in a child, [`ProcessOwned::get`] refuses and `Drop` leaks it instead of running
//!   its destructor.
//!
//! Everything here is lock-free: a lock held by one of the parent's other threads at the moment
//! of the fork stays locked forever in the child.

use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
mod atfork {
    use std::sync::Once;

    static REGISTER: Once = Once::new();

    /// Runs in the child right after `fork()`, before `fork()` returns there. Only an atomic
    /// increment: async-signal-safe, as a handler must be.
    extern "C" fn in_child() {
        super::GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn register() {
        REGISTER.call_once(|| {
            #[allow(unsafe_code)]
            // SAFETY: `pthread_atfork` only stores the handler pointers; `in_child` is a plain
            // `extern "C"` function with a 'static lifetime that touches one atomic. The call
            // can fail only with ENOMEM, in which case forks simply go unnoticed (the state of
            // the library before this module existed).
            let rc = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
            if rc != 0 {
                tracing::warn!(rc, "pthread_atfork failed: clients will not notice a fork()");
            }
        });
    }
}

/// The fork generation of the calling process: 0 in the process that first loaded the library,
/// incremented in each child at `fork()` (a grandchild has 2, and so on). Values recorded before
/// a fork compare unequal to what a child reads.
pub fn generation() -> u64 {
    #[cfg(unix)]
    atfork::register();
    GENERATION.load(Ordering::SeqCst)
}

/// Whether a value recorded at `generation` (by [`generation`]) was inherited across a fork.
pub fn inherited(recorded: u64) -> bool {
    recorded != generation()
}

struct Slot<T> {
    generation: u64,
    value: T,
}

/// A lazily built, process-wide value that every forked child builds afresh.
///
/// Slots are never freed: the value of a parent generation is leaked in the child (dropping a
/// runtime there would wait for threads that do not exist and deregister the parent's sockets),
/// and within one process the slot is built once. So references are `'static`.
#[derive(Debug)]
pub struct PerProcess<T: 'static> {
    slot: AtomicPtr<Slot<T>>,
    /// `generation + 1` of the process whose thread is building, 0 when none is. A value of an
    /// older generation was left by a thread that did not survive a fork: it is taken over.
    building: AtomicU64,
}

impl<T: Send + Sync + 'static> Default for PerProcess<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Clears [`PerProcess::building`] however the build ends (an `init` that panics included).
struct BuildGuard<'a>(&'a AtomicU64);

impl Drop for BuildGuard<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

impl<T: Send + Sync + 'static> PerProcess<T> {
    /// An empty cell (usable in a `static`).
    pub const fn new() -> Self {
        PerProcess { slot: AtomicPtr::new(std::ptr::null_mut()), building: AtomicU64::new(0) }
    }

    fn current(&self, generation: u64) -> Option<&'static T> {
        let ptr = self.slot.load(Ordering::Acquire);
        #[allow(unsafe_code)]
        // SAFETY: a non-null pointer in `slot` always comes from `Box::leak` below and is never
        // freed, so it is valid for 'static; `Slot<T>` is only read after publication (Release
        // store / Acquire load).
        let slot: Option<&'static Slot<T>> = unsafe { ptr.as_ref() };
        slot.filter(|s| s.generation == generation).map(|s| &s.value)
    }

    /// The value of this process, if built.
    pub fn get(&'static self) -> Option<&'static T> {
        self.current(generation())
    }

    /// The value of this process, built by `init` on first use in each process. Concurrent
    /// callers of one process wait (yielding) for the one that builds; if `init` fails, its
    /// error is returned and the next call tries again.
    pub fn get_or_try_init<E>(&'static self, init: impl FnOnce() -> Result<T, E>) -> Result<&'static T, E> {
        let generation = generation();
        let mine = generation + 1;
        loop {
            if let Some(value) = self.current(generation) {
                return Ok(value);
            }
            let builder = self.building.load(Ordering::Acquire);
            if builder == mine {
                std::thread::yield_now();
                continue;
            }
            if self.building.compare_exchange(builder, mine, Ordering::AcqRel, Ordering::Acquire).is_err() {
                continue;
            }
            let _guard = BuildGuard(&self.building);
            if let Some(value) = self.current(generation) {
                return Ok(value);
            }
            let slot: &'static Slot<T> = Box::leak(Box::new(Slot { generation, value: init()? }));
            self.slot.store(std::ptr::from_ref(slot).cast_mut(), Ordering::Release);
            return Ok(&slot.value);
        }
    }
}

/// A value owned by the process that created it.
///
/// In a forked child [`get`](Self::get) returns `None` and dropping the wrapper leaks the value:
/// its destructor would close or deregister sockets shared with the parent, or wait for tasks
/// of a runtime that has no threads in the child.
#[derive(Debug)]
pub struct ProcessOwned<T> {
    generation: u64,
    pid: u32,
    value: Option<T>,
}

impl<T> ProcessOwned<T> {
    /// Wrap `value` as owned by the calling process.
    pub fn new(value: T) -> Self {
        ProcessOwned { generation: generation(), pid: std::process::id(), value: Some(value) }
    }

    /// The id of the process that owns the value (for error messages).
    pub fn owner_pid(&self) -> u32 {
        self.pid
    }

    /// The value, or `None` in a process forked after it was created.
    pub fn get(&self) -> Option<&T> {
        if inherited(self.generation) {
            return None;
        }
        self.value.as_ref()
    }

    /// Whether this value was inherited across a fork (it belongs to an ancestor process).
    pub fn is_inherited(&self) -> bool {
        inherited(self.generation)
    }
}

impl<T> Drop for ProcessOwned<T> {
    fn drop(&mut self) {
        if inherited(self.generation) {
            if let Some(value) = self.value.take() {
                std::mem::forget(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn per_process_builds_once_per_process() {
        static CELL: PerProcess<usize> = PerProcess::new();
        static BUILDS: AtomicUsize = AtomicUsize::new(0);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(|| {
                    *CELL
                        .get_or_try_init(|| -> Result<usize, ()> { Ok(BUILDS.fetch_add(1, Ordering::SeqCst) + 41) })
                        .unwrap_or(&0)
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().ok(), Some(41));
        }
        assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
        assert_eq!(CELL.get(), Some(&41));
    }

    #[test]
    fn a_failed_build_is_retried() {
        static CELL: PerProcess<String> = PerProcess::new();
        assert_eq!(CELL.get_or_try_init(|| Err::<String, _>("no")), Err("no"));
        assert!(CELL.get().is_none());
        assert_eq!(CELL.get_or_try_init(|| Ok::<_, ()>("yes".to_owned())).map(String::as_str), Ok("yes"));
    }

    #[test]
    fn process_owned_is_usable_in_its_process() {
        let owned = ProcessOwned::new(vec![1, 2, 3]);
        assert!(!owned.is_inherited());
        assert_eq!(owned.get().map(Vec::len), Some(3));
    }

    /// A real fork: in the child the generation moves on, a `PerProcess` value is built again
    /// and a `ProcessOwned` refuses. The child reports through its exit code.
    #[cfg(unix)]
    #[test]
    fn fork_child_sees_a_new_generation() {
        static CELL: PerProcess<u64> = PerProcess::new();
        let parent_value = *CELL.get_or_try_init(|| Ok::<_, ()>(generation())).unwrap_or(&u64::MAX);
        let owned = ProcessOwned::new(7u8);
        #[allow(unsafe_code)]
        // SAFETY: the child only reads atomics, builds a small value and calls `_exit`: no lock
        // another test thread might hold is taken.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = inherited(parent_value)
                && owned.get().is_none()
                && CELL.get().is_none()
                && CELL.get_or_try_init(|| Ok::<_, ()>(generation())).ok() == Some(&(parent_value + 1));
            std::mem::forget(owned);
            #[allow(unsafe_code)]
            // SAFETY: `_exit` ends the child without running the test harness's destructors.
            unsafe {
                libc::_exit(if ok { 0 } else { 1 })
            };
        }
        assert!(pid > 0, "fork failed");
        let mut status = 0;
        #[allow(unsafe_code)]
        // SAFETY: waiting for the child we just forked; `status` is a valid out pointer.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(waited, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: status {status}");
        // The parent is unchanged.
        assert_eq!(owned.get(), Some(&7));
        assert_eq!(CELL.get(), Some(&parent_value));
    }
}
