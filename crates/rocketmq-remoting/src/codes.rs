//! Request codes, response codes, language codes and versions, as numbered by the Java source
//! (`RequestCode.java`, `ResponseCode.java`, `RemotingSysResponseCode.java`, `LanguageCode.java`,
//! `MQVersion.java`). Codes are plain `i32` constants because peers may send codes we do not know.

/// Request codes (`remoting/protocol/RequestCode.java`).
pub mod request_code {
    pub const SEND_MESSAGE: i32 = 10;
    pub const PULL_MESSAGE: i32 = 11;
    pub const QUERY_MESSAGE: i32 = 12;
    pub const QUERY_CONSUMER_OFFSET: i32 = 14;
    pub const UPDATE_CONSUMER_OFFSET: i32 = 15;
    pub const UPDATE_AND_CREATE_TOPIC: i32 = 17;
    pub const SEARCH_OFFSET_BY_TIMESTAMP: i32 = 29;
    pub const GET_MAX_OFFSET: i32 = 30;
    pub const GET_MIN_OFFSET: i32 = 31;
    pub const GET_EARLIEST_MSG_STORETIME: i32 = 32;
    pub const VIEW_MESSAGE_BY_ID: i32 = 33;
    pub const HEART_BEAT: i32 = 34;
    pub const UNREGISTER_CLIENT: i32 = 35;
    pub const CONSUMER_SEND_MSG_BACK: i32 = 36;
    pub const END_TRANSACTION: i32 = 37;
    pub const GET_CONSUMER_LIST_BY_GROUP: i32 = 38;
    pub const CHECK_TRANSACTION_STATE: i32 = 39;
    pub const NOTIFY_CONSUMER_IDS_CHANGED: i32 = 40;
    pub const LOCK_BATCH_MQ: i32 = 41;
    pub const UNLOCK_BATCH_MQ: i32 = 42;
    pub const CHECK_CLIENT_CONFIG: i32 = 46;
    pub const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    pub const GET_BROKER_CLUSTER_INFO: i32 = 106;
    pub const RESET_CONSUMER_CLIENT_OFFSET: i32 = 220;
    pub const GET_CONSUMER_STATUS_FROM_CLIENT: i32 = 221;
    pub const GET_CONSUMER_RUNNING_INFO: i32 = 307;
    pub const CONSUME_MESSAGE_DIRECTLY: i32 = 309;
    pub const SEND_MESSAGE_V2: i32 = 310;
    pub const SEND_BATCH_MESSAGE: i32 = 320;
    pub const SEND_REPLY_MESSAGE: i32 = 324;
    pub const SEND_REPLY_MESSAGE_V2: i32 = 325;
    pub const PUSH_REPLY_MESSAGE_TO_CLIENT: i32 = 326;
    pub const LITE_PULL_MESSAGE: i32 = 361;
    // Admin requests (mqadmin, `DefaultMQAdminExtImpl`).
    pub const GET_BROKER_RUNTIME_INFO: i32 = 28;
    pub const GET_TOPIC_STATS_INFO: i32 = 202;
    pub const GET_CONSUMER_CONNECTION_LIST: i32 = 203;
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
    pub const GET_CONSUME_STATS: i32 = 208;
    pub const DELETE_TOPIC_IN_BROKER: i32 = 215;
    pub const DELETE_TOPIC_IN_NAMESRV: i32 = 216;
    pub const INVOKE_BROKER_TO_RESET_OFFSET: i32 = 222;
    pub const QUERY_TOPIC_CONSUME_BY_WHO: i32 = 300;
}

/// Response codes (`RemotingSysResponseCode.java` 0-4 and `ResponseCode.java`).
pub mod response_code {
    pub const SUCCESS: i32 = 0;
    pub const SYSTEM_ERROR: i32 = 1;
    pub const SYSTEM_BUSY: i32 = 2;
    pub const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
    pub const TRANSACTION_FAILED: i32 = 4;
    pub const FLUSH_DISK_TIMEOUT: i32 = 10;
    pub const SLAVE_NOT_AVAILABLE: i32 = 11;
    pub const FLUSH_SLAVE_TIMEOUT: i32 = 12;
    pub const MESSAGE_ILLEGAL: i32 = 13;
    pub const SERVICE_NOT_AVAILABLE: i32 = 14;
    pub const VERSION_NOT_SUPPORTED: i32 = 15;
    pub const NO_PERMISSION: i32 = 16;
    pub const TOPIC_NOT_EXIST: i32 = 17;
    pub const TOPIC_EXIST_ALREADY: i32 = 18;
    pub const PULL_NOT_FOUND: i32 = 19;
    pub const PULL_RETRY_IMMEDIATELY: i32 = 20;
    pub const PULL_OFFSET_MOVED: i32 = 21;
    pub const QUERY_NOT_FOUND: i32 = 22;
    pub const SUBSCRIPTION_PARSE_FAILED: i32 = 23;
    pub const SUBSCRIPTION_NOT_EXIST: i32 = 24;
    pub const SUBSCRIPTION_NOT_LATEST: i32 = 25;
    pub const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
    pub const FILTER_DATA_NOT_EXIST: i32 = 27;
    pub const FILTER_DATA_NOT_LATEST: i32 = 28;
    pub const INVALID_PARAMETER: i32 = 29;
    pub const NO_BUYER_ID: i32 = 204;
    pub const NOT_IN_CURRENT_UNIT: i32 = 205;
    pub const CONSUMER_NOT_ONLINE: i32 = 206;
    pub const FLOW_CONTROL: i32 = 215;
    pub const GO_AWAY: i32 = 1500;
}

/// The implementation language a peer announces (`LanguageCode.java`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LanguageCode {
    Java,
    Cpp,
    Dotnet,
    Python,
    Delphi,
    Erlang,
    Ruby,
    Other,
    Http,
    Go,
    Php,
    Oms,
    Rust,
    NodeJs,
    /// A code this crate does not know; kept so it can be echoed.
    Unknown(u8),
}

const LANGUAGES: [(LanguageCode, u8, &str); 14] = [
    (LanguageCode::Java, 0, "JAVA"),
    (LanguageCode::Cpp, 1, "CPP"),
    (LanguageCode::Dotnet, 2, "DOTNET"),
    (LanguageCode::Python, 3, "PYTHON"),
    (LanguageCode::Delphi, 4, "DELPHI"),
    (LanguageCode::Erlang, 5, "ERLANG"),
    (LanguageCode::Ruby, 6, "RUBY"),
    (LanguageCode::Other, 7, "OTHER"),
    (LanguageCode::Http, 8, "HTTP"),
    (LanguageCode::Go, 9, "GO"),
    (LanguageCode::Php, 10, "PHP"),
    (LanguageCode::Oms, 11, "OMS"),
    (LanguageCode::Rust, 12, "RUST"),
    (LanguageCode::NodeJs, 13, "NODE_JS"),
];

impl LanguageCode {
    /// The byte used in the binary (ROCKETMQ) header.
    pub fn code(self) -> u8 {
        match self {
            LanguageCode::Unknown(b) => b,
            known => LANGUAGES.iter().find(|(l, _, _)| *l == known).map_or(7, |(_, b, _)| *b),
        }
    }

    /// The enum name used in the JSON header (`"JAVA"`, `"RUST"`...).
    pub fn name(self) -> &'static str {
        LANGUAGES.iter().find(|(l, _, _)| *l == self).map_or("OTHER", |(_, _, n)| n)
    }

    /// Decode the binary-header byte; unknown values are preserved.
    pub fn from_code(code: u8) -> Self {
        LANGUAGES.iter().find(|(_, b, _)| *b == code).map_or(LanguageCode::Unknown(code), |(l, _, _)| *l)
    }

    /// Decode the JSON name; unknown names become `Unknown(255)` (Java decodes them to null).
    pub fn from_name(name: &str) -> Self {
        LANGUAGES.iter().find(|(_, _, n)| *n == name).map_or(LanguageCode::Unknown(255), |(l, _, _)| *l)
    }
}

/// `MQVersion.Version` ordinals that matter to this client.
pub mod version {
    /// 4.9.4: the first version for which the name server answers routes in standard JSON.
    pub const V4_9_4: i32 = 401;
    /// 5.3.3, what this client announces (`MQVersion.CURRENT_VERSION` of the Java develop branch).
    pub const V5_3_3: i32 = 479;
    /// The version this client sends on every request.
    pub const CURRENT: i32 = V5_3_3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_round_trip() {
        for (lang, code, name) in LANGUAGES {
            assert_eq!(lang.code(), code);
            assert_eq!(lang.name(), name);
            assert_eq!(LanguageCode::from_code(code), lang);
            assert_eq!(LanguageCode::from_name(name), lang);
        }
        assert_eq!(LanguageCode::from_code(99), LanguageCode::Unknown(99));
        assert_eq!(LanguageCode::Unknown(99).code(), 99);
    }
}
