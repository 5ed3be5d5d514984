//! The tokio runtime of the process.
//!
//! Built lazily on first use (importing the module starts no thread), multi-threaded with 2 to 4
//! workers (the client is I/O bound: more workers only add wake-ups). It lives in a
//! [`PerProcess`] cell and is never dropped: its threads end with the process.
//!
//! **fork()**: a child process gets a runtime of its own on first use. The parent's runtime is
//! inherited as memory only (no threads) and shares its epoll instance and sockets with the
//! parent, so it is never touched again in the child: not driven, not dropped (see
//! `rocketmq_remoting::process`). Clients started in the parent refuse to work in the child
//! (`ClientSlot`); new ones work normally.
//!
//! Awaitables are made by `aio_bridge`, which spawns on this process's runtime.
//!
//! **The timer tick**: a task wakes once a second ([`TIMER_TICK`]) for no work of its own. A
//! call from a Python thread arms its timeout on that thread; when the runtime's timer driver
//! is parked with no timer due sooner, tokio must interrupt it (an eventfd write and a worker
//! woken for nothing) to take the new deadline into account. That happened on every call whose
//! previous call completed on a worker (the asyncio path: its task ends on the worker, taking
//! its timer with it, before the worker parks). With a timer always due within a second, arming
//! a timeout of a second or more never interrupts the driver: one wake-up per second instead of
//! one per call.

use pyo3::exceptions::PyRuntimeError;
use pyo3::PyResult;
use rocketmq_client::process::PerProcess;
use std::time::Duration;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: PerProcess<Runtime> = PerProcess::new();

/// The period of the timer tick (see the module docs); request timeouts are longer.
const TIMER_TICK: Duration = Duration::from_secs(1);

/// Worker threads: the machine's parallelism, clamped to 2..=4.
fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4)
}

/// This process's runtime, built on first call in each process. Fails (instead of panicking)
/// when the OS refuses threads.
pub fn get() -> PyResult<&'static Runtime> {
    RUNTIME.get_or_try_init(|| {
        Builder::new_multi_thread()
            .worker_threads(worker_threads())
            .thread_name("rocketmq-worker")
            .enable_all()
            .build()
            .inspect(|runtime| {
                runtime.spawn(async {
                    let mut tick = tokio::time::interval(TIMER_TICK);
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                    }
                });
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the rocketmq runtime: {e}")))
    })
}
