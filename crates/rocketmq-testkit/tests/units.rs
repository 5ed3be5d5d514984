//! Pure helpers of the testkit: no processes needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use rocketmq_testkit::admin::parse_route;
use rocketmq_testkit::config::{broker_toml, toml_string, BrokerConfigInput, BrokerPorts, ConfigOverride};
use rocketmq_testkit::{Binaries, TempDir, TestkitErrorKind};

#[test]
fn route_parses_both_dialects() {
    let standard = br#"{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:1"},"brokerName":"b","cluster":"c"}],
        "filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}"#;
    let fastjson =
        br#"{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:1",1:"127.0.0.1:2"},"brokerName":"b","cluster":"c"}],
        "queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":4,"writeQueueNums":4,"topicSynFlag":0}]}"#;
    for body in [&standard[..], &fastjson[..]] {
        let route = parse_route(body).unwrap();
        assert!(route.lists("b", "127.0.0.1:1"), "{route:?}");
        assert!(!route.lists("b", "127.0.0.1:2"));
        assert_eq!(route.brokers[0].cluster, "c");
        assert_eq!(route.queues_of("b").map(|q| (q.read_queue_nums, q.write_queue_nums, q.perm)), Some((4, 4, 6)));
    }
    assert_eq!(parse_route(b"not json").unwrap_err().kind(), TestkitErrorKind::Protocol);
}

#[test]
fn toml_strings_are_escaped() {
    assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(toml_string("x\ny\u{1}"), r#""x\ny\u0001""#);
}

#[test]
fn overrides_parse_and_replace_or_extend_the_config() {
    assert_eq!(
        ConfigOverride::parse("broker.brokerServerConfig.bindAddress=\"0.0.0.0\"").map(|o| o.section),
        Some("broker.brokerServerConfig".to_owned())
    );
    assert!(ConfigOverride::parse("nodot=1").is_none());
    assert!(ConfigOverride::parse("broker.key=").is_none());

    let overrides = [
        ConfigOverride::parse("store.flushDiskType=\"SYNC_FLUSH\"").unwrap(),
        ConfigOverride::parse("broker.traceTopicEnable=true").unwrap(),
        ConfigOverride::parse("broker.brokerServerConfig.tlsConfig.enable=false").unwrap(),
    ];
    let text = broker_toml(&BrokerConfigInput {
        name: "broker-0",
        cluster: "C",
        namesrv_addr: "127.0.0.1:1;127.0.0.1:2",
        ports: BrokerPorts::from_block(20000),
        store_dir: Path::new("/tmp/x y/store"),
        overrides: &overrides,
    });
    assert!(text.contains("listenPort = 20002\n"), "{text}");
    assert!(text.contains("haListenPort = 20003\n"), "{text}");
    assert!(text.contains("bindAddress = \"127.0.0.1\"\n"), "{text}");
    assert!(text.contains("flushDiskType = \"SYNC_FLUSH\"\n") && !text.contains("ASYNC_FLUSH"), "{text}");
    assert!(text.contains("[broker]\n") && text.contains("traceTopicEnable = true\n"), "{text}");
    assert!(text.contains("\n[broker.brokerServerConfig.tlsConfig]\nenable = false\n"), "{text}");
    assert!(text.contains("storePathCommitLog = \"/tmp/x y/store/commitlog\"\n"), "{text}");
    assert_eq!(BrokerPorts::from_block(20000).block(), [20000, 20001, 20002, 20003]);
}

#[test]
fn missing_install_names_the_script() {
    let error = Binaries::in_home(Path::new("/nonexistent")).unwrap_err();
    assert_eq!(error.kind(), TestkitErrorKind::BinaryNotFound);
    assert!(error.to_string().contains("scripts/install-broker.sh"));
}

#[test]
fn temp_dirs_are_unique_and_removed() {
    let a = TempDir::new("rmq-testkit-unit").unwrap();
    let b = TempDir::new("rmq-testkit-unit").unwrap();
    assert_ne!(a.path(), b.path());
    let path = a.path().to_path_buf();
    std::fs::write(path.join("f"), b"x").unwrap();
    let kept = a.is_kept();
    drop(a);
    assert_eq!(path.exists(), kept);
    if kept {
        std::fs::remove_dir_all(&path).unwrap();
    }
}
