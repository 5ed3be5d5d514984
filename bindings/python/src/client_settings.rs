//! Settings the producer and push-consumer cores share: name servers, instance name and ACL
//! credentials, and how they become `ClientOptions`.

use pyo3::prelude::*;
use rocketmq_client::{ClientOptions, Error, SessionCredentials};

use crate::message::text_arg;

/// Environment variable read when no name server address is set (as the Java client does).
const NAMESRV_ADDR_ENV: &str = "NAMESRV_ADDR";

/// ACL credentials of `set_session_credentials`; they sign every request. Never printed.
#[derive(Clone)]
pub(crate) struct Credentials {
    access_key: String,
    secret_key: String,
    channel: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

impl Credentials {
    /// Convert the three 2.x arguments (str or bytes).
    pub(crate) fn from_args(
        access_key: &Bound<'_, PyAny>,
        access_secret: &Bound<'_, PyAny>,
        channel: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        Ok(Credentials {
            access_key: text_arg(access_key, "access key")?,
            secret_key: text_arg(access_secret, "access secret")?,
            channel: text_arg(channel, "channel")?,
        })
    }
}

/// The user's client-level settings, checked when the client starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientSettings {
    pub namesrv_addr: Option<String>,
    pub instance_name: Option<String>,
    pub credentials: Option<Credentials>,
    pub tls: Option<rocketmq_client::TlsOptions>,
    pub message_trace: Option<rocketmq_client::TraceOptions>,
    /// Namespace v1 (`set_namespace`) and v2 (`set_namespace_v2`).
    pub namespace: Option<String>,
    pub namespace_v2: Option<String>,
    /// `set_name_server_domain`: looked up when no address is set.
    pub namesrv_domain: Option<String>,
    pub namesrv_lookup_interval_ms: Option<u64>,
    /// Route snapshot file (`set_route_snapshot_path`); `None` or empty: no snapshot.
    pub route_snapshot_path: Option<String>,
}

impl ClientSettings {
    /// Set the instance name; an empty one means "unique per object" (the default).
    pub(crate) fn set_instance_name(&mut self, name: String) {
        self.instance_name = Some(name).filter(|n| !n.is_empty());
    }

    /// Set the v1 (`v2 == false`) or v2 namespace; empty means none (for v1 it also turns off
    /// the namespace Java derives from a cloud endpoint address).
    pub(crate) fn set_namespace(&mut self, namespace: String, v2: bool) {
        let namespace = Some(namespace);
        if v2 {
            self.namespace_v2 = namespace;
        } else {
            self.namespace = namespace;
        }
    }

    /// `set_name_server_domain(domain, refresh_interval_ms)`.
    pub(crate) fn set_namesrv_domain(&mut self, domain: String, refresh_interval_ms: i64) -> Result<(), Error> {
        let interval = u64::try_from(refresh_interval_ms)
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| Error::config(format!("refresh interval must be positive, got {refresh_interval_ms} ms")))?;
        self.namesrv_domain = Some(domain);
        self.namesrv_lookup_interval_ms = Some(interval);
        Ok(())
    }

    /// `ClientOptions` with the name servers (an explicit address, else the domain lookup,
    /// else `NAMESRV_ADDR`), instance name, credentials, TLS and namespaces.
    pub(crate) fn client_options(&self) -> Result<ClientOptions, Error> {
        let mut client = ClientOptions::default();
        let env_addr = std::env::var(NAMESRV_ADDR_ENV).ok().filter(|a| !a.trim().is_empty());
        match (self.namesrv_addr.as_deref(), &self.namesrv_domain, env_addr.as_deref()) {
            (Some(addr), _, _) => client.set_namesrv_addr(addr)?,
            (None, Some(domain), _) => {
                client.namesrv_domain = Some(domain.clone());
                if let Some(ms) = self.namesrv_lookup_interval_ms {
                    client.namesrv_lookup_interval = std::time::Duration::from_millis(ms);
                }
            }
            (None, None, Some(addr)) => client.set_namesrv_addr(addr)?,
            (None, None, None) => {
                return Err(Error::config(
                    "no name server address: call set_name_server_address(\"host:port\") or set NAMESRV_ADDR",
                ))
            }
        }
        client.namespace = self.namespace.clone();
        client.namespace_v2 = self.namespace_v2.clone();
        client.instance_name = self.instance_name.clone();
        client.credentials = self.credentials.as_ref().map(|c| {
            let mut credentials = SessionCredentials::new(c.access_key.clone(), c.secret_key.clone());
            credentials.channel = Some(c.channel.clone()).filter(|ch| !ch.is_empty());
            credentials
        });
        client.tls = self.tls.clone();
        client.message_trace = self.message_trace.clone();
        client.route_snapshot_path = self.route_snapshot_path.clone().map(Into::into);
        Ok(client)
    }
}

/// TLS settings from the Python setter `set_tls`: `None` when TLS is off.
pub(crate) fn tls_from_args(
    enabled: bool,
    ca_file: Option<String>,
    cert_file: Option<String>,
    key_file: Option<String>,
    server_name: Option<String>,
    test_mode: bool,
) -> Option<rocketmq_client::TlsOptions> {
    use rocketmq_client::{TlsOptions, TlsTrust};
    if !enabled {
        return None;
    }
    let trust = match (test_mode, ca_file) {
        (true, _) => TlsTrust::InsecureTestMode,
        (false, Some(path)) => TlsTrust::CaFile(path.into()),
        (false, None) => TlsTrust::System,
    };
    Some(TlsOptions {
        trust,
        client_cert: cert_file.map(Into::into),
        client_key: key_file.map(Into::into),
        server_name: server_name.filter(|n| !n.is_empty()),
    })
}

/// Trace settings from the Python setter `set_message_trace`: `None` when off; a blank or
/// absent topic means `RMQ_SYS_TRACE_TOPIC`.
pub(crate) fn trace_from_args(enabled: bool, topic: Option<String>) -> Option<rocketmq_client::TraceOptions> {
    enabled.then(|| rocketmq_client::TraceOptions::with_topic(topic.as_deref().unwrap_or_default()))
}
