//! The pool settings a client's options imply: its connector (TCP or TLS) and its request
//! hooks (ACL signing). Built once per client instance or admin client.

use rocketmq_remoting::tls::{TlsConnector, TlsRoots, TlsSettings};
use rocketmq_remoting::{Connector, PoolOptions, RpcHooks};

use crate::error::{Error, Result};
use crate::options::{ClientOptions, TlsTrust};

/// The connector and hooks for `options`.
pub(crate) fn pool_options(options: &ClientOptions) -> Result<PoolOptions> {
    let mut hooks = RpcHooks::new();
    if let Some(credentials) = &options.credentials {
        hooks.push(std::sync::Arc::new(crate::acl::AclHook::new(credentials.clone())));
    }
    let connector = match &options.tls {
        None => Connector::Tcp,
        Some(tls) => {
            let roots = match &tls.trust {
                TlsTrust::System => TlsRoots::System,
                TlsTrust::CaFile(path) => TlsRoots::CaFile(path.clone()),
                TlsTrust::InsecureTestMode => TlsRoots::InsecureTestMode,
            };
            let settings = TlsSettings {
                roots,
                client_auth: tls.client_cert.clone().zip(tls.client_key.clone()),
                server_name: tls.server_name.clone(),
            };
            Connector::Tls(TlsConnector::new(&settings).map_err(|e| Error::config(e.to_string()))?)
        }
    };
    Ok(PoolOptions { connect_timeout: options.connect_timeout, connector, hooks })
}
