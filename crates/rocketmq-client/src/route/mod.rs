//! Routes: name server access, the route cache, and publish queues.

pub mod namesrv;
pub mod nsaddr;
pub mod publish;
pub mod refresh;
pub mod snapshot;
pub mod table;

pub use namesrv::NameServers;
pub use publish::TopicPublishInfo;
pub use refresh::{RefreshOutcome, RefreshSchedule};
pub use snapshot::RouteSnapshot;
pub use table::{RouteTable, RouteUpdate};
