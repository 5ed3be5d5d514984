//! The pool settings a client's options imply: its connector (TCP or TLS) and its request
//! hooks (namespace v2 fields, ACL signing). Built once per client instance or admin client.

use rocketmq_remoting::tls::{TlsConnector, TlsRoots, TlsSettings};
use rocketmq_remoting::{Connector, PoolOptions, RpcHooks};

use crate::error::{Error, Result};
use crate::options::{ClientOptions, TlsTrust};

/// The connector and hooks for `options`.
pub(crate) fn pool_options(options: &ClientOptions) -> Result<PoolOptions> {
    let mut hooks = RpcHooks::new();
    // Before the ACL hook, so the signature covers the namespace fields (Java MQClientAPIImpl).
    if let Some(ns) = options.namespace_v2.as_deref().filter(|ns| !ns.is_empty()) {
        hooks.push(std::sync::Arc::new(crate::namespace::NamespaceV2Hook::new(ns)));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::SessionCredentials;
    use rocketmq_remoting::header::EmptyHeader;
    use rocketmq_remoting::{request_code, RemotingCommand};

    #[test]
    fn the_signature_covers_the_namespace_v2_fields() -> Result<()> {
        let options = ClientOptions {
            namespace_v2: Some("tenant".to_owned()),
            credentials: Some(SessionCredentials::new("ak", "sk")),
            ..ClientOptions::default()
        };
        let pool = pool_options(&options)?;
        let mut request = RemotingCommand::request(request_code::HEART_BEAT, &EmptyHeader);
        pool.hooks.before_request("127.0.0.1:10911", &mut request).map_err(Error::from)?;
        assert_eq!(request.ext_fields.get("ns"), Some("tenant"));
        assert_eq!(request.ext_fields.get("nsd"), Some("true"));
        // Java registers NamespaceRpcHook before the ACL hook: the signature includes ns/nsd.
        let signed = request.ext_fields.iter().filter(|(k, _)| *k != crate::acl::SIGNATURE);
        let expected = crate::acl::signature("sk", signed, &request.body);
        assert_eq!(request.ext_fields.get(crate::acl::SIGNATURE), Some(expected.as_str()));
        Ok(())
    }
}
