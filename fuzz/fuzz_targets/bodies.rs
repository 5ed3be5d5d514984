//! Every JSON body decoder (routes, cluster info, consumer lists, locks, offsets, stats,
//! heartbeats): `Ok` or `Err` for any input, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocketmq_remoting::body::*;

fuzz_target!(|body: &[u8]| {
    let _ = TopicRouteData::decode(body);
    let _ = ClusterInfo::decode(body);
    let _ = ConsumerListBody::decode(body);
    let _ = LockBatchRequestBody::decode(body);
    let _ = UnlockBatchRequestBody::decode(body);
    let _ = LockBatchResponseBody::decode(body);
    let _ = ResetOffsetBody::decode(body);
    let _ = OffsetSerializeWrapper::decode(body);
    let _ = ConsumeMessageDirectlyResult::decode(body);
    let _ = CheckClientRequestBody::decode(body);
    let _ = HeartbeatData::decode(body);
    let _ = TopicList::decode(body);
    let _ = TopicStatsTable::decode(body);
    let _ = ConsumeStats::decode(body);
    let _ = ConsumerConnection::decode(body);
    let _ = KVTable::decode(body);
});
