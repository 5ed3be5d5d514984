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
}

impl ClientSettings {
    /// Set the instance name; an empty one means "unique per object" (the default).
    pub(crate) fn set_instance_name(&mut self, name: String) {
        self.instance_name = Some(name).filter(|n| !n.is_empty());
    }

    /// `ClientOptions` with the name servers (falling back to `NAMESRV_ADDR`) and instance name.
    pub(crate) fn client_options(&self) -> Result<ClientOptions, Error> {
        let mut client = ClientOptions::default();
        let env_addr = std::env::var(NAMESRV_ADDR_ENV).ok().filter(|a| !a.trim().is_empty());
        match self.namesrv_addr.as_deref().or(env_addr.as_deref()) {
            Some(addr) => client.set_namesrv_addr(addr)?,
            None => {
                return Err(Error::config(
                    "no name server address: call set_name_server_address(\"host:port\") or set NAMESRV_ADDR",
                ))
            }
        }
        client.instance_name = self.instance_name.clone();
        client.credentials = self.credentials.as_ref().map(|c| {
            let mut credentials = SessionCredentials::new(c.access_key.clone(), c.secret_key.clone());
            credentials.channel = Some(c.channel.clone()).filter(|ch| !ch.is_empty());
            credentials
        });
        client.tls = self.tls.clone();
        client.message_trace = self.message_trace.clone();
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
