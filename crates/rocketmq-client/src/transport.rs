//! The pool settings a client's options imply: its connector (TCP or TLS) and its request
//! hooks (ACL signing). Built once per client instance or admin client.

use rocketmq_remoting::{Connector, PoolOptions, RpcHooks};

use crate::error::Result;
use crate::options::ClientOptions;

/// The connector and hooks for `options`.
pub(crate) fn pool_options(options: &ClientOptions) -> Result<PoolOptions> {
    let mut hooks = RpcHooks::new();
    if let Some(credentials) = &options.credentials {
        hooks.push(std::sync::Arc::new(crate::acl::AclHook::new(credentials.clone())));
    }
    let connector = Connector::Tcp;
    Ok(PoolOptions { connect_timeout: options.connect_timeout, connector, hooks })
}
