//! The write side of a connection: a queue of frame buffers in front of the stream's write half,
//! written in order with vectored writes, by whichever thread can do it soonest.
//!
//! Frames queued by runtime tasks (async sends, answers to peer requests) are written by the
//! connection's writer task, which coalesces what is queued into one `writev`: fewer syscalls
//! under load and no copy of any body. A frame queued by a thread that is *not* a runtime task
//! (a blocking Python call drives its future on its own thread) is written inline, on that
//! thread, when nothing is queued ahead of it: waking the writer task there would cost a
//! cross-thread wake-up and a context switch per request, the largest part of a blocking send's
//! overhead over the Rust core. Whatever the inline write cannot finish (a full socket buffer,
//! TLS data still to flush) stays queued with the writer task's waker registered, so the task
//! finishes it when the stream is writable, before anything queued later.
//!
//! The queue is bounded in bytes ([`QUEUE_LIMIT`]): a sender to a peer that stops reading
//! waits for room (and times out through its caller) instead of growing memory without limit.

use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::AsyncWrite;
use tokio::sync::Notify;

use crate::lock::lock;

/// One queued frame: the encoded head (length prefix, header word, header) and the body.
pub(crate) type Frame = (Bytes, Bytes);

/// Queued bytes beyond which senders wait for the writer (a frame larger than this is still
/// accepted when the queue is empty).
pub(crate) const QUEUE_LIMIT: usize = 16 * 1024 * 1024;

/// At most this many buffers per `writev` (well under every platform's `IOV_MAX`).
const MAX_IO_SLICES: usize = 64;

/// Why a frame was not queued.
#[derive(Debug)]
pub(crate) enum Refused {
    /// The queue is at its limit; the frame is handed back.
    Full(Frame),
    /// A write failed earlier (or just now, inline); the connection is dead.
    Failed(String),
}

struct State {
    io: Pin<Box<dyn AsyncWrite + Send>>,
    /// Buffers not yet written, in order; the front one may be partly written.
    parts: VecDeque<Bytes>,
    queued: usize,
    /// Bytes were written since the last successful flush (TLS keeps them in its session).
    unflushed: bool,
    /// The writer task's waker, registered with the stream when an inline write stalls.
    task: Option<Waker>,
    failed: Option<String>,
}

impl State {
    fn idle(&self) -> bool {
        self.parts.is_empty() && !self.unflushed
    }

    fn push(&mut self, (head, body): Frame) {
        self.queued += head.len() + body.len();
        self.parts.push_back(head);
        if !body.is_empty() {
            self.parts.push_back(body);
        }
    }

    /// Write everything queued, then flush. `Pending` means the stream registered `cx`'s waker.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.parts.is_empty() {
            // On the stack: this runs once per request on the blocking path.
            let mut slices = [IoSlice::new(&[]); MAX_IO_SLICES];
            let mut count = 0;
            for (slot, part) in slices.iter_mut().zip(&self.parts) {
                *slot = IoSlice::new(part);
                count += 1;
            }
            let mut written = match self.io.as_mut().poll_write_vectored(cx, &slices[..count]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            self.unflushed = true;
            self.queued -= written;
            while written > 0 {
                let Some(front) = self.parts.front_mut() else { break };
                if written >= front.len() {
                    written -= front.len();
                    self.parts.pop_front();
                } else {
                    front.advance(written);
                    written = 0;
                }
            }
        }
        if self.unflushed {
            match self.io.as_mut().poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                other => return other,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// The write side shared by a connection's handles, its reader (answers to peer requests) and
/// its writer task.
pub(crate) struct FrameWriter {
    state: Mutex<State>,
    /// Signalled when queued bytes were written (room for waiting senders) or the writer failed.
    room: Notify,
}

impl FrameWriter {
    pub(crate) fn new<W: AsyncWrite + Send + 'static>(io: W) -> Self {
        FrameWriter {
            state: Mutex::new(State {
                io: Box::pin(io),
                parts: VecDeque::new(),
                queued: 0,
                unflushed: false,
                task: None,
                failed: None,
            }),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Queue `frame`; with `inline`, write it on this thread if nothing is queued ahead of it.
    pub(crate) fn try_push(&self, frame: Frame, inline: bool) -> Result<(), Refused> {
        let mut state = self.lock();
        if let Some(reason) = &state.failed {
            return Err(Refused::Failed(reason.clone()));
        }
        let len = frame.0.len() + frame.1.len();
        if state.queued > 0 && state.queued + len > QUEUE_LIMIT {
            return Err(Refused::Full(frame));
        }
        let was_idle = state.idle();
        state.push(frame);
        if !was_idle {
            // Someone already owns the queue: an earlier write stalled with the writer task's
            // waker registered, and the task writes this frame after it.
            return Ok(());
        }
        let task = match (&state.task, inline) {
            (Some(task), true) => task.clone(),
            // Before the task's first poll there is no waker to leave a stalled write with;
            // that first poll drains the queue.
            (None, _) => return Ok(()),
            (Some(task), false) => {
                task.wake_by_ref();
                return Ok(());
            }
        };
        let mut cx = Context::from_waker(&task);
        match state.poll_drain(&mut cx) {
            Poll::Ready(Ok(())) | Poll::Pending => Ok(()),
            Poll::Ready(Err(e)) => {
                let reason = format!("write failed: {e}");
                state.failed = Some(reason.clone());
                drop(state);
                self.room.notify_waiters();
                Err(Refused::Failed(reason))
            }
        }
    }

    /// Queue `frame`, waiting while the queue is full.
    pub(crate) async fn push(&self, frame: Frame, inline: bool) -> Result<(), String> {
        let mut frame = frame;
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            // Registered before looking, so a signal between the look and the wait is not lost.
            room.as_mut().enable();
            match self.try_push(frame, inline) {
                Ok(()) => return Ok(()),
                Err(Refused::Failed(reason)) => return Err(reason),
                Err(Refused::Full(back)) => frame = back,
            }
            room.await;
        }
    }

    /// The writer task's body: write whatever is queued whenever woken, until a write fails.
    /// Returns the failure.
    pub(crate) async fn run(&self) -> String {
        poll_fn(|cx| {
            let mut state = self.lock();
            if state.task.as_ref().is_none_or(|w| !w.will_wake(cx.waker())) {
                state.task = Some(cx.waker().clone());
            }
            if let Some(reason) = &state.failed {
                return Poll::Ready(reason.clone());
            }
            let had_queued = state.queued;
            let result = state.poll_drain(cx);
            let progressed = state.queued < had_queued;
            let outcome = match result {
                // Idle: the next push (or the stream) wakes us.
                Poll::Ready(Ok(())) | Poll::Pending => Poll::Pending,
                Poll::Ready(Err(e)) => {
                    let reason = format!("write failed: {e}");
                    state.failed = Some(reason.clone());
                    Poll::Ready(reason)
                }
            };
            drop(state);
            if progressed || outcome.is_ready() {
                self.room.notify_waiters();
            }
            outcome
        })
        .await
    }

    /// Mark the writer failed (the connection closed) so queued and future frames are refused
    /// and waiting senders give up; the writer task then shuts the stream's write side down.
    pub(crate) fn fail(&self, reason: &str) {
        {
            let mut state = self.lock();
            if state.failed.is_none() {
                state.failed = Some(reason.to_owned());
            }
            state.parts.clear();
            state.queued = 0;
            if let Some(task) = &state.task {
                task.wake_by_ref();
            }
        }
        self.room.notify_waiters();
    }

    /// Shut the stream's write side down (best effort), once the writer has failed.
    pub(crate) async fn shutdown(&self) {
        let _ = poll_fn(|cx| self.lock().io.as_mut().poll_shutdown(cx)).await;
    }
}
