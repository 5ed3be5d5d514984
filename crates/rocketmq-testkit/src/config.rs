//! The broker's TOML configuration (`rocketmq-broker-rust -c broker.toml`).
//!
//! TOML, not Java properties: the properties format cannot set
//! `broker.brokerServerConfig.bindAddress`, and without it the broker listens on 0.0.0.0.
//! docs/rocketmq-rust-broker.md explains every key.

use std::fmt::Write as _;
use std::path::Path;

/// Ports one broker uses. `fast = listen - 2` is forced by the broker (the "VIP" channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerPorts {
    /// `listenPort`: the remoting port clients and name servers see.
    pub listen: u16,
    /// `listenPort - 2`: the fast remoting listener, always opened.
    pub fast: u16,
    /// `store.haListenPort`: the HA (replication) listener, always opened by a master.
    pub ha: u16,
}

impl BrokerPorts {
    /// Ports for a reserved block of 4 starting at `base`: fast, (unused), listen, HA,
    /// the same layout as Java's defaults 10909 / 10911 / 10912.
    pub fn from_block(base: u16) -> Self {
        BrokerPorts { fast: base, listen: base + 2, ha: base + 3 }
    }

    /// Every port of the block, for releasing it.
    pub fn block(&self) -> [u16; 4] {
        [self.fast, self.fast + 1, self.listen, self.ha]
    }
}

/// One `[section] key = value` setting; `value` is a TOML literal (`true`, `42`, `"text"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigOverride {
    /// Dotted TOML table, e.g. `broker` or `broker.brokerServerConfig` or `store`.
    pub section: String,
    /// Key inside the table.
    pub key: String,
    /// A TOML literal.
    pub value: String,
}

impl ConfigOverride {
    /// Parse `section.key=value` (the last dot separates table and key).
    pub fn parse(spec: &str) -> Option<Self> {
        let (path, value) = spec.split_once('=')?;
        let (section, key) = path.trim().rsplit_once('.')?;
        let (section, key, value) = (section.trim(), key.trim(), value.trim());
        if section.is_empty() || key.is_empty() || value.is_empty() {
            return None;
        }
        Some(ConfigOverride { section: section.to_owned(), key: key.to_owned(), value: value.to_owned() })
    }
}

/// A TOML basic string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Everything that varies between brokers of a test cluster.
#[derive(Debug, Clone)]
pub struct BrokerConfigInput<'a> {
    /// `brokerName`.
    pub name: &'a str,
    /// `brokerClusterName`.
    pub cluster: &'a str,
    /// `namesrvAddr`, `;`-separated.
    pub namesrv_addr: &'a str,
    /// The ports.
    pub ports: BrokerPorts,
    /// `storePathRootDir`.
    pub store_dir: &'a Path,
    /// Extra or replacement settings.
    pub overrides: &'a [ConfigOverride],
}

/// Render the broker TOML.
pub fn broker_toml(input: &BrokerConfigInput<'_>) -> String {
    let store = input.store_dir.to_string_lossy();
    let commit_log = input.store_dir.join("commitlog");
    let commit_log = commit_log.to_string_lossy();
    let loopback = toml_string("127.0.0.1");
    let sections: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "broker",
            vec![
                ("namesrvAddr", toml_string(input.namesrv_addr)),
                ("brokerIp1", loopback.clone()),
                ("brokerIp2", loopback.clone()),
                ("listenPort", input.ports.listen.to_string()),
                ("storePathRootDir", toml_string(&store)),
                ("autoCreateTopicEnable", "true".into()),
                ("autoCreateSubscriptionGroup", "true".into()),
                ("enablePropertyFilter", "true".into()),
                // Clamped by the broker to 10..60 s; 10 s lets a restarted name server relearn
                // the brokers quickly (the default is 30 s).
                ("registerNameServerPeriod", "10000".into()),
            ],
        ),
        ("broker.brokerServerConfig", vec![("bindAddress", loopback.clone())]),
        (
            "broker.brokerIdentity",
            vec![
                ("brokerName", toml_string(input.name)),
                ("brokerClusterName", toml_string(input.cluster)),
                ("brokerId", "0".into()),
            ],
        ),
        (
            "store",
            vec![
                ("storePathRootDir", toml_string(&store)),
                ("storePathCommitLog", toml_string(&commit_log)),
                ("haListenAddress", loopback.clone()),
                ("haListenPort", input.ports.ha.to_string()),
                ("brokerRole", toml_string("ASYNC_MASTER")),
                ("flushDiskType", toml_string("ASYNC_FLUSH")),
                // The default (true) caps sends at ~1.5k msg/s.
                ("commitLogMicroBatchEnabled", "false".into()),
                // 64 MiB commit log files and small indexes: a test store stays small.
                ("mappedFileSizeCommitLog", "67108864".into()),
                ("maxHashSlotNum", "50000".into()),
                ("maxIndexNum", "200000".into()),
            ],
        ),
    ];

    let mut out = String::from("# Written by rocketmq-testkit; see docs/rocketmq-rust-broker.md\n");
    let mut used = vec![false; input.overrides.len()];
    for (section, entries) in &sections {
        let _ = writeln!(out, "\n[{section}]");
        for (key, value) in entries {
            let replaced = input.overrides.iter().enumerate().find(|(_, o)| o.section == *section && o.key == *key);
            match replaced {
                Some((i, o)) => {
                    used[i] = true;
                    let _ = writeln!(out, "{key} = {}", o.value);
                }
                None => {
                    let _ = writeln!(out, "{key} = {value}");
                }
            }
        }
        for (i, o) in input.overrides.iter().enumerate() {
            if !used[i] && o.section == *section {
                used[i] = true;
                let _ = writeln!(out, "{} = {}", o.key, o.value);
            }
        }
    }
    // Overrides for tables not written above, grouped by table.
    let mut rest: Vec<&ConfigOverride> =
        input.overrides.iter().enumerate().filter(|(i, _)| !used[*i]).map(|(_, o)| o).collect();
    rest.sort_by(|a, b| a.section.cmp(&b.section));
    let mut current = None;
    for o in rest {
        if current != Some(o.section.as_str()) {
            let _ = writeln!(out, "\n[{}]", o.section);
            current = Some(o.section.as_str());
        }
        let _ = writeln!(out, "{} = {}", o.key, o.value);
    }
    out
}
