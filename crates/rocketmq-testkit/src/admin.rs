//! The few admin requests the testkit needs: topic routes from a name server and topic creation
//! on a broker, over `rocketmq_remoting::Connection`.

use std::sync::Arc;
use std::time::Duration;

use rocketmq_remoting::connection::NotSupportedHandler;
use rocketmq_remoting::header::GetRouteInfoRequestHeader;
use rocketmq_remoting::{command_header, request_code, response_code, Connection, RemotingCommand};

use crate::error::{Result, TestkitError, TestkitErrorKind};

/// The topic every broker with `autoCreateTopicEnable` registers; a broker listed in its route
/// has registered with that name server.
pub const TBW102: &str = "TBW102";

command_header! {
    /// UPDATE_AND_CREATE_TOPIC (17): `CreateTopicRequestHeader` (protocol.md §2.7.3).
    pub struct CreateTopicRequestHeader {
        pub topic: String => "topic",
        pub default_topic: String => "defaultTopic",
        pub read_queue_nums: i32 => "readQueueNums",
        pub write_queue_nums: i32 => "writeQueueNums",
        pub perm: i32 => "perm",
        pub topic_filter_type: String => "topicFilterType",
        pub topic_sys_flag: Option<i32> => "topicSysFlag",
        pub order: bool => "order",
        pub attributes: Option<String> => "attributes",
        pub force: Option<bool> => "force",
    }
}

impl CreateTopicRequestHeader {
    /// A normal read/write topic (`perm = 6`, `SINGLE_TAG`) with `queues` read and write queues.
    pub fn normal(topic: &str, queues: i32) -> Self {
        CreateTopicRequestHeader {
            topic: topic.to_owned(),
            default_topic: TBW102.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".to_owned(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: None,
            force: None,
        }
    }
}

/// One broker entry of a topic route: its name and master (`brokerId` 0) address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteBroker {
    /// `brokerName`.
    pub name: String,
    /// `cluster`.
    pub cluster: String,
    /// `brokerAddrs["0"]`, when present.
    pub master_addr: Option<String>,
}

/// One queue entry of a topic route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQueues {
    /// `brokerName`.
    pub broker_name: String,
    /// `readQueueNums`.
    pub read_queue_nums: i64,
    /// `writeQueueNums`.
    pub write_queue_nums: i64,
    /// `perm`.
    pub perm: i64,
}

/// The parts of `TopicRouteData` the testkit looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicRoute {
    /// `brokerDatas`.
    pub brokers: Vec<RouteBroker>,
    /// `queueDatas`.
    pub queues: Vec<RouteQueues>,
}

impl TopicRoute {
    /// Whether `name` is listed with master address `addr` and has a queue entry.
    pub fn lists(&self, name: &str, addr: &str) -> bool {
        self.brokers.iter().any(|b| b.name == name && b.master_addr.as_deref() == Some(addr))
            && self.queues.iter().any(|q| q.broker_name == name)
    }

    /// The queue entry of broker `name`.
    pub fn queues_of(&self, name: &str) -> Option<&RouteQueues> {
        self.queues.iter().find(|q| q.broker_name == name)
    }
}

async fn connect(addr: &str, timeout: Duration) -> Result<Connection> {
    Connection::connect(addr, timeout, Arc::new(NotSupportedHandler))
        .await
        .map_err(|e| TestkitError::new(TestkitErrorKind::Io, format!("cannot connect to {addr}")).with_source(e))
}

async fn request(addr: &str, command: RemotingCommand, timeout: Duration) -> Result<RemotingCommand> {
    let code = command.code;
    let connection = connect(addr, timeout).await?;
    let result = connection.request(command, timeout).await;
    connection.close();
    result.map_err(|e| {
        TestkitError::new(TestkitErrorKind::Protocol, format!("request {code} to {addr} failed")).with_source(e)
    })
}

/// GET_ROUTEINFO_BY_TOPIC (105) from one name server: `None` when the topic has no route.
pub async fn topic_route(namesrv_addr: &str, topic: &str, timeout: Duration) -> Result<Option<TopicRoute>> {
    let header = GetRouteInfoRequestHeader { topic: topic.to_owned(), accept_standard_json_only: Some(true) };
    let response =
        request(namesrv_addr, RemotingCommand::request(request_code::GET_ROUTEINFO_BY_TOPIC, &header), timeout).await?;
    match response.code {
        response_code::SUCCESS => parse_route(&response.body).map(Some),
        response_code::TOPIC_NOT_EXIST => Ok(None),
        code => Err(TestkitError::new(
            TestkitErrorKind::Protocol,
            format!(
                "GET_ROUTEINFO_BY_TOPIC {topic} on {namesrv_addr}: response code {code}, remark {:?}",
                response.remark.unwrap_or_default()
            ),
        )),
    }
}

/// UPDATE_AND_CREATE_TOPIC (17) on one broker.
pub async fn create_topic_on(broker_addr: &str, header: &CreateTopicRequestHeader, timeout: Duration) -> Result<()> {
    let response =
        request(broker_addr, RemotingCommand::request(request_code::UPDATE_AND_CREATE_TOPIC, header), timeout).await?;
    if response.code == response_code::SUCCESS {
        Ok(())
    } else {
        Err(TestkitError::new(
            TestkitErrorKind::Protocol,
            format!(
                "UPDATE_AND_CREATE_TOPIC {} on {broker_addr}: response code {}, remark {:?}",
                header.topic,
                response.code,
                response.remark.unwrap_or_default()
            ),
        ))
    }
}

/// Parse `TopicRouteData` JSON, tolerating fastjson's unquoted integer map keys.
pub fn parse_route(body: &[u8]) -> Result<TopicRoute> {
    let text = String::from_utf8_lossy(body);
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => serde_json::from_str(&quote_numeric_keys(&text)).map_err(|e| {
            TestkitError::new(TestkitErrorKind::Protocol, format!("unparsable TopicRouteData: {text}")).with_source(e)
        })?,
    };
    let str_field = |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    let int_field = |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_i64()).unwrap_or(-1);
    let mut route = TopicRoute::default();
    for b in value.get("brokerDatas").and_then(|v| v.as_array()).into_iter().flatten() {
        let master_addr = b.get("brokerAddrs").and_then(|a| a.get("0")).and_then(|a| a.as_str()).map(str::to_owned);
        route.brokers.push(RouteBroker {
            name: str_field(b, "brokerName"),
            cluster: str_field(b, "cluster"),
            master_addr,
        });
    }
    for q in value.get("queueDatas").and_then(|v| v.as_array()).into_iter().flatten() {
        route.queues.push(RouteQueues {
            broker_name: str_field(q, "brokerName"),
            read_queue_nums: int_field(q, "readQueueNums"),
            write_queue_nums: int_field(q, "writeQueueNums"),
            perm: int_field(q, "perm"),
        });
    }
    Ok(route)
}

/// `{0:"a",1:"b"}` → `{"0":"a","1":"b"}`: quote bare integer object keys outside strings.
pub fn quote_numeric_keys(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_key = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
            }
        } else {
            match c {
                b'"' => {
                    in_string = true;
                    expect_key = false;
                }
                b'{' | b',' => expect_key = true,
                b'-' | b'0'..=b'9' if expect_key => {
                    expect_key = false;
                    let mut end = i + 1;
                    while end < bytes.len() && bytes[end].is_ascii_digit() {
                        end += 1;
                    }
                    let mut after = end;
                    while after < bytes.len() && bytes[after].is_ascii_whitespace() {
                        after += 1;
                    }
                    if after < bytes.len() && bytes[after] == b':' {
                        out.push(b'"');
                        out.extend_from_slice(&bytes[i..end]);
                        out.push(b'"');
                        i = end;
                        continue;
                    }
                }
                c if c.is_ascii_whitespace() => {}
                _ => expect_key = false,
            }
        }
        out.push(c);
        i += 1;
    }
    // Only ASCII quotes were inserted between complete characters, so this is still UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}
