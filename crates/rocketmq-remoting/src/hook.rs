//! Request hooks: code that sees every request before it leaves and every response after it
//! arrives (Java `RPCHook`: `doBeforeRequest` / `doAfterResponse`, registered on
//! `NettyRemotingAbstract.rpcHooks`). ACL signing and trace context are hooks; no feature
//! reaches into the socket code.
//!
//! The pool runs the hooks on every path through it: requests and oneways alike, to name
//! servers and brokers.

use std::sync::Arc;

use crate::command::RemotingCommand;
use crate::error::Result;

/// One request hook. Hooks run in registration order, on the caller's task.
pub trait RpcHook: Send + Sync + std::fmt::Debug + 'static {
    /// Called with each request (and oneway) just before it is encoded for `addr`. An error
    /// fails the request without sending it.
    fn before_request(&self, addr: &str, request: &mut RemotingCommand) -> Result<()>;

    /// Called with each response to a request of `request_code` from `addr`, before the
    /// caller sees it (Java hands `doAfterResponse` the response object too).
    fn after_response(&self, addr: &str, request_code: i32, response: &mut RemotingCommand) -> Result<()> {
        let _ = (addr, request_code, response);
        Ok(())
    }
}

/// An ordered list of hooks, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RpcHooks {
    hooks: Vec<Arc<dyn RpcHook>>,
}

impl RpcHooks {
    /// No hooks.
    pub fn new() -> Self {
        RpcHooks::default()
    }

    /// Append `hook`; it runs after the ones already registered.
    pub fn push(&mut self, hook: Arc<dyn RpcHook>) {
        self.hooks.push(hook);
    }

    /// Whether no hook is registered.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// How many hooks are registered.
    pub fn len(&self) -> usize {
        self.hooks.len()
    }

    /// Run every `before_request`, stopping at the first error.
    pub fn before_request(&self, addr: &str, request: &mut RemotingCommand) -> Result<()> {
        self.hooks.iter().try_for_each(|h| h.before_request(addr, request))
    }

    /// Run every `after_response`, stopping at the first error.
    pub fn after_response(&self, addr: &str, request_code: i32, response: &mut RemotingCommand) -> Result<()> {
        self.hooks.iter().try_for_each(|h| h.after_response(addr, request_code, response))
    }
}
