//! ACL request signing (Java `acl/.../AclClientRPCHook.java`, `AclUtils.java`; ACL 1.0, whose
//! fields ACL 2.0 brokers read too).
//!
//! Every request gets `AccessKey`, `SecurityToken` (when set) and
//! `Signature = Base64(HMAC-SHA1(secret, values of the ext fields sorted by key, then body))`.
//! The secret never leaves this module: it is neither sent nor logged, and `Debug` hides it.
//!
//! The HMAC is `ring`'s (`HMAC_SHA1_FOR_LEGACY_USE_ONLY`): the same library rustls uses here
//! for TLS, so ACL and TLS add one crypto dependency, not two.

use base64::Engine as _;
use rocketmq_remoting::{RemotingCommand, RpcHook};

use crate::options::SessionCredentials;

/// `SessionCredentials.ACCESS_KEY`.
pub const ACCESS_KEY: &str = "AccessKey";
/// `SessionCredentials.SECURITY_TOKEN`.
pub const SECURITY_TOKEN: &str = "SecurityToken";
/// `SessionCredentials.SIGNATURE`.
pub const SIGNATURE: &str = "Signature";
/// The 2.x C++ client's `ClientRPCHook` channel field (`SessionCredentials.getAuthChannel`).
pub const ONS_CHANNEL: &str = "OnsChannel";
/// `MixAll.UNIQUE_MSG_QUERY_FLAG`: added outside the custom header by Java, so neither
/// Java's client nor its broker (`PlainAccessResource.parse`) signs it.
const UNIQUE_MSG_QUERY_FLAG: &str = "_UNIQUE_KEY_QUERY";

/// `AclUtils.calSignature(combineRequestContent(request, fields), secretKey)`: the Base64 HMAC-SHA1 of
/// the field values in key order (Java `TreeMap<String, String>`; keys are ASCII, so byte
/// order equals Java's UTF-16 order), then the body.
pub fn signature<'a>(secret: &str, fields: impl IntoIterator<Item = (&'a str, &'a str)>, body: &[u8]) -> String {
    let mut sorted: Vec<(&str, &str)> = fields.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    let mut ctx = ring::hmac::Context::with_key(&key);
    for (_, value) in &sorted {
        ctx.update(value.as_bytes());
    }
    ctx.update(body);
    base64::engine::general_purpose::STANDARD.encode(ctx.sign().as_ref())
}

/// The signing hook (Java `AclClientRPCHook`).
pub struct AclHook {
    credentials: SessionCredentials,
}

impl std::fmt::Debug for AclHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AclHook").field("access_key", &self.credentials.access_key).finish_non_exhaustive()
    }
}

impl AclHook {
    /// A hook signing with `credentials`.
    pub fn new(credentials: SessionCredentials) -> Self {
        AclHook { credentials }
    }
}

impl RpcHook for AclHook {
    fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> rocketmq_remoting::Result<()> {
        let c = &self.credentials;
        request.ext_fields.remove(SIGNATURE);
        request.ext_fields.insert(ACCESS_KEY, c.access_key.clone());
        if let Some(token) = c.security_token.as_deref().filter(|t| !t.is_empty()) {
            request.ext_fields.insert(SECURITY_TOKEN, token.to_owned());
        }
        if let Some(channel) = c.channel.as_deref().filter(|ch| !ch.is_empty()) {
            request.ext_fields.insert(ONS_CHANNEL, channel.to_owned());
        }
        let fields = request.ext_fields.iter().filter(|(k, _)| *k != UNIQUE_MSG_QUERY_FLAG);
        let sig = signature(&c.secret_key, fields, &request.body);
        request.ext_fields.insert(SIGNATURE, sig);
        Ok(())
    }

    fn after_response(
        &self,
        _addr: &str,
        _request_code: i32,
        response: &mut RemotingCommand,
    ) -> rocketmq_remoting::Result<()> {
        // Say which key the broker refused (never the secret): the error built from this
        // response carries the remark to the user.
        if is_acl_refusal(response.code, response.remark.as_deref()) {
            let remark = response.remark.take().unwrap_or_default();
            response.remark = Some(format!("{remark} [client AccessKey {}]", self.credentials.access_key));
        }
        Ok(())
    }
}

/// Whether a response refuses a request for ACL reasons. A Java 4.x broker answers
/// SYSTEM_ERROR (1) with the `AclException` text in the remark (`RemotingHelper
/// .exceptionSimpleDesc`, e.g. "No accessKey is configured", "Check signature failed for
/// accessKey=..."); 5.x and ACL 2.0 brokers answer NO_PERMISSION (16).
pub fn is_acl_refusal(code: i32, remark: Option<&str>) -> bool {
    use rocketmq_remoting::response_code as rc;
    if code == rc::NO_PERMISSION {
        return true;
    }
    code == rc::SYSTEM_ERROR
        && remark.is_some_and(|r| {
            ["AclException", "No accessKey is configured", "Check signature failed", "No acl config for"]
                .iter()
                .any(|needle| r.contains(needle))
        })
}
