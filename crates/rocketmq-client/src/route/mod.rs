//! Routes: name server access, the route cache, and publish queues.

pub mod namesrv;
pub mod nsaddr;
pub mod publish;
pub mod table;

pub use namesrv::NameServers;
pub use publish::TopicPublishInfo;
pub use table::{RouteTable, RouteUpdate};
