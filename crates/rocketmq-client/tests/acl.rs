//! ACL signing (#9 §2): golden signatures, the 29 signed frames of a Java 4.9.4 capture, and
//! a fake peer that verifies signatures the Java way and refuses as a Java 4.9.4 broker does
//! (SYSTEM_ERROR + AclException remark) or as 5.x does (NO_PERMISSION).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bytes::{Bytes, BytesMut};
use rocketmq_client::acl::{is_acl_refusal, signature, AclHook};
use rocketmq_client::{Admin, ClientOptions, ErrorKind, SessionCredentials};
use rocketmq_remoting::header::EmptyHeader;
use rocketmq_remoting::{RemotingCommand, RpcHook};
use serde_json::Value;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Expected values computed with the algorithm of Java `AclUtils.combineRequestContent` +
/// `AclUtils.calSignature` (acl/src/main/java/org/apache/rocketmq/acl/common/AclUtils.java,
/// 4.9.4: `combineRequestContent` lines 47-62 concatenate the TreeMap values then the body;
/// `calSignature` lines 64-67 and `AclSigner.signAndBase64Encode` HmacSHA1 + Base64),
/// recomputed independently (Python `hmac`/`hashlib.sha1`/`base64`) for these fixed inputs.
#[test]
fn golden_signatures_follow_java_acl_utils() {
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [u8], &'a str);
    let cases: [Case<'_>; 3] = [
        (
            "goldenSecret123",
            vec![("AccessKey", "goldenAK"), ("topic", "T"), ("a", "g")],
            b"",
            "kQP7x/eTvMacHfeDQH2c329IfzI=",
        ),
        (
            "goldenSecret123",
            vec![("b", "GoldenAclTopic"), ("AccessKey", "goldenAK"), ("a", "CapAclProducer"), ("SecurityToken", "tok")],
            b"hello\x00world",
            "HUEv786XtCBneueWEPI4CBtHJMw=",
        ),
        (
            "s\u{e9}cret",
            vec![("k", "v\u{e9}"), ("AccessKey", "ak")],
            &(0..=255u8).collect::<Vec<u8>>(),
            "tNOYoEOpATuApdCrpNTy3SYoW/w=",
        ),
    ];
    for (secret, fields, body, expected) in cases {
        assert_eq!(signature(secret, fields.iter().copied(), body), expected, "{fields:?}");
    }
}

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rocketmq-remoting/tests/fixtures/java-4.9.4-proxy/i-acl")
}

/// Every signed request of the capture (AclClientRPCHook, Java 4.9.4) is re-signed by our hook
/// to the same Signature, with the secret its actor used (i-acl/NOTES.md).
#[test]
fn our_hook_reproduces_every_java_signature_of_the_capture() {
    let index: Value = serde_json::from_slice(&std::fs::read(fixture_dir().join("index.json")).unwrap()).unwrap();
    let mut checked = 0;
    for meta in index["frames"].as_array().unwrap() {
        let Some(java_sig) = meta["extFields"]["Signature"].as_str() else { continue };
        let secret = if meta["actor"] == "producer-acl-wrong-secret" { "wrongSecret" } else { "goldenSecret123" };
        let raw = std::fs::read(fixture_dir().join(meta["file"].as_str().unwrap())).unwrap();
        let mut cmd = RemotingCommand::decode_with_length(Bytes::from(raw)).unwrap();
        cmd.ext_fields.remove("Signature");
        let hook = AclHook::new(SessionCredentials::new("goldenAK", secret));
        hook.before_request("broker", &mut cmd).unwrap();
        assert_eq!(cmd.ext_fields.get("Signature"), Some(java_sig), "{}", meta["file"]);
        assert_eq!(cmd.ext_fields.get("AccessKey"), Some("goldenAK"));
        checked += 1;
    }
    assert_eq!(checked, 29, "NOTES.md: 26 frames with goldenSecret123, 3 with wrongSecret");
}

#[test]
fn refusals_are_classified_from_code_and_remark() {
    let java_494 = "org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=goldenAK, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)";
    assert!(is_acl_refusal(1, Some(java_494)));
    assert!(is_acl_refusal(1, Some("org.apache.rocketmq.acl.common.AclException: No accessKey is configured, x")));
    assert!(is_acl_refusal(16, None), "5.x / ACL 2.0 NO_PERMISSION");
    assert!(!is_acl_refusal(1, Some("store putMessage return null")));
    assert!(!is_acl_refusal(1, None));
    let e = rocketmq_client::Error::broker(1, Some(java_494.to_owned()), "b:1");
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(!e.is_retryable(), "an ACL refusal is not retried on another broker");
    assert_eq!(rocketmq_client::Error::broker(1, Some("busy".into()), "b:1").kind(), ErrorKind::Broker);
}

#[test]
fn credentials_debug_hides_the_secret() {
    let mut c = SessionCredentials::new("myAK", "topSecretValue");
    c.security_token = Some("tokenValue".into());
    let text = format!("{c:?} {:?}", AclHook::new(c.clone()));
    assert!(text.contains("myAK"));
    assert!(!text.contains("topSecretValue") && !text.contains("tokenValue"), "{text}");
}

/// A name server that verifies signatures as Java's `PlainAccessValidator` does and refuses
/// in the form `form` (1 = 4.9.4 SYSTEM_ERROR + AclException, 16 = NO_PERMISSION).
async fn fake_acl_namesrv(secret: &'static str, form: i32) -> (String, Arc<Mutex<Vec<bool>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let verdicts: Arc<Mutex<Vec<bool>>> = Arc::default();
    let seen = verdicts.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                loop {
                    let mut len = [0u8; 4];
                    if sock.read_exact(&mut len).await.is_err() {
                        return;
                    }
                    let mut frame = BytesMut::zeroed(u32::from_be_bytes(len) as usize);
                    sock.read_exact(&mut frame).await.unwrap();
                    let req = RemotingCommand::decode(frame.freeze()).unwrap();
                    let given = req.ext_fields.get("Signature").unwrap_or_default().to_owned();
                    let fields = req.ext_fields.iter().filter(|(k, _)| *k != "Signature");
                    let ok =
                        req.ext_fields.get("AccessKey") == Some("ak1") && signature(secret, fields, &req.body) == given;
                    seen.lock().unwrap().push(ok);
                    let answer = if ok {
                        RemotingCommand::response(17, req.opaque, Some("No topic route info in name server".into()))
                    } else if form == 1 {
                        RemotingCommand::response(1, req.opaque, Some("org.apache.rocketmq.acl.common.AclException: Check signature failed for accessKey=ak1, org.apache.rocketmq.acl.plain.PlainPermissionManager.validate(PlainPermissionManager.java:683)".into()))
                    } else {
                        RemotingCommand::response(16, req.opaque, Some("no permission".into()))
                    };
                    sock.write_all(&answer.encode_to_bytes().unwrap()).await.unwrap();
                }
            });
        }
    });
    (addr, verdicts)
}

fn options(addr: &str, secret: &str) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.set_namesrv_addr(addr).unwrap();
    o.credentials = Some(SessionCredentials::new("ak1", secret));
    o
}

#[tokio::test]
async fn the_fake_peer_accepts_our_signature_and_refusals_are_auth_errors_naming_the_key() {
    for form in [1, 16] {
        let (addr, verdicts) = fake_acl_namesrv("rightSecret", form).await;
        // Right secret: verified, the (unrelated) answer comes through.
        let admin = Admin::new(options(&addr, "rightSecret")).unwrap();
        let err = admin.topic_route("SomeTopic").await.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::Auth, "{err}");
        // Wrong secret: refused; an Auth error that names the key, never the secret.
        let admin = Admin::new(options(&addr, "wrongSecretXYZ")).unwrap();
        let err = admin.topic_route("SomeTopic").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "form {form}: {err}");
        let text = format!("{err} {err:?}");
        assert!(text.contains("ak1"), "{text}");
        assert!(!text.contains("wrongSecretXYZ") && !text.contains("rightSecret"), "{text}");
        let v = verdicts.lock().unwrap().clone();
        assert!(v.first() == Some(&true) && v.last() == Some(&false), "{v:?}");
    }
    let _ = EmptyHeader;
}
