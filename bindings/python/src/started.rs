//! The started client inside a Python client object, and what it means after `fork()`.
//!
//! A started client's connections, tasks and threads belong to the process that started it.
//! In a child forked from that process, the Python object is still there (copied memory), but
//! the client must be neither used (its sockets are shared with the parent) nor dropped (its
//! destructor would deregister them from the parent's epoll instance): see
//! `rocketmq_client::process`. [`Started`] enforces both. An object that was *not* started
//! before the fork holds only settings and can be started normally in the child.

use rocketmq_client::process::ProcessOwned;
use rocketmq_client::Error;
use std::sync::{Arc, OnceLock};

/// What a client object's started client is, seen from the calling process.
#[derive(Debug)]
pub enum State<'a, T> {
    /// `start()` has not succeeded yet.
    NotStarted,
    /// Started by this process.
    Here(&'a T),
    /// Started by process `owner_pid`, of which this process is a fork() child.
    Forked {
        /// The process that started it.
        owner_pid: u32,
    },
}

/// A client set once by `start()`, owned by the process that started it. Clones share the
/// slot (a start task sets it through its own clone).
#[derive(Debug)]
pub struct Started<T> {
    cell: Arc<OnceLock<ProcessOwned<T>>>,
}

impl<T> Default for Started<T> {
    fn default() -> Self {
        Started { cell: Arc::new(OnceLock::new()) }
    }
}

impl<T> Clone for Started<T> {
    fn clone(&self) -> Self {
        Started { cell: self.cell.clone() }
    }
}

impl<T> Started<T> {
    /// Record the started client (only the first call has an effect).
    pub fn set(&self, client: T) {
        let _ = self.cell.set(ProcessOwned::new(client));
    }

    /// The state seen from the calling process.
    pub fn state(&self) -> State<'_, T> {
        match self.cell.get() {
            None => State::NotStarted,
            Some(owned) => match owned.get() {
                Some(client) => State::Here(client),
                None => State::Forked { owner_pid: owned.owner_pid() },
            },
        }
    }

    /// The client, if this process started it.
    pub fn here(&self) -> Option<&T> {
        self.cell.get().and_then(ProcessOwned::get)
    }

    /// Whether `start()` succeeded, in this process or in one it was forked from.
    pub fn is_started(&self) -> bool {
        self.cell.get().is_some()
    }

    /// The client if this process started it; `Err` with the Forked error (naming `what`) if an
    /// ancestor process did; `Ok(None)` before start.
    pub fn here_or_forked(&self, what: &str) -> Result<Option<&T>, Error> {
        match self.state() {
            State::NotStarted => Ok(None),
            State::Here(client) => Ok(Some(client)),
            State::Forked { owner_pid } => Err(crate::errors::forked(what, owner_pid)),
        }
    }
}
