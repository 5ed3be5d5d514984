//! The tokio runtime of the process, and the awaitables driven by it.
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
//! Awaitables go through pyo3-async-runtimes' generic bridge with [`AioRuntime`], which spawns on
//! this process's runtime. (Its built-in tokio bridge keeps the first runtime it was given in a
//! process-wide cell, which in a forked child would be the parent's dead one.)

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::PyResult;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use pyo3_async_runtimes::TaskLocals;
use rocketmq_client::process::PerProcess;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::runtime::{Builder, Runtime};

static RUNTIME: PerProcess<Runtime> = PerProcess::new();

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
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the rocketmq runtime: {e}")))
    })
}

/// Wrap `fut` as a Python awaitable bound to the running event loop, driven on this process's
/// runtime. The runtime is started first, so a failure to start it is raised here.
pub fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    get()?;
    pyo3_async_runtimes::generic::future_into_py::<AioRuntime, F, T>(py, fut)
}

/// pyo3-async-runtimes' view of our runtime.
pub struct AioRuntime;

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

/// Why a spawned awaitable's task did not complete.
#[derive(Debug)]
pub enum SpawnError {
    /// The task panicked or was cancelled.
    Join(tokio::task::JoinError),
    /// There was no runtime to spawn on (the OS refused its threads).
    NoRuntime,
}

impl JoinError for SpawnError {
    fn is_panic(&self) -> bool {
        matches!(self, SpawnError::Join(e) if e.is_panic())
    }

    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        match self {
            SpawnError::Join(e) if e.is_panic() => e.into_panic(),
            other => Box::new(format!("{other:?}")),
        }
    }
}

/// The task of a spawned awaitable (or an immediate error when nothing could be spawned).
pub struct SpawnHandle(Option<tokio::task::JoinHandle<()>>);

impl Future for SpawnHandle {
    type Output = Result<(), SpawnError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.as_mut() {
            Some(handle) => Pin::new(handle).poll(cx).map_err(SpawnError::Join),
            None => Poll::Ready(Err(SpawnError::NoRuntime)),
        }
    }
}

fn spawn_here(spawn: impl FnOnce(&'static Runtime) -> tokio::task::JoinHandle<()>) -> SpawnHandle {
    // `future_into_py` started the runtime before the bridge spawns, so this only fails if the
    // runtime could never be built; the bridge then sees a failed task.
    SpawnHandle(get().ok().map(spawn))
}

impl GenericRuntime for AioRuntime {
    type JoinError = SpawnError;
    type JoinHandle = SpawnHandle;

    fn spawn<F>(fut: F) -> SpawnHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        spawn_here(|rt| rt.spawn(UntilExit(Box::pin(fut))))
    }

    fn spawn_blocking<F>(f: F) -> SpawnHandle
    where
        F: FnOnce() + Send + 'static,
    {
        spawn_here(|rt| {
            rt.spawn_blocking(move || {
                let _ = crate::interpreter::while_attachable(f);
            })
        })
    }
}

/// The bridge's task, polled only while the interpreter accepts threads.
///
/// The bridge takes the GIL inside its poll (to resolve the `asyncio.Future`), not through
/// `interpreter::attach`: a runtime worker doing that after the interpreter began finalizing
/// aborts the process. Each poll is counted as attached (the exit hook waits for it) and, once
/// the interpreter is exiting, the task is never polled again (the process is ending).
struct UntilExit(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for UntilExit {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        crate::interpreter::while_attachable(|| self.0.as_mut().poll(cx)).unwrap_or(Poll::Pending)
    }
}

impl ContextExt for AioRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(TaskLocals::clone).ok()
    }
}
