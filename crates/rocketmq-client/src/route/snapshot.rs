//! The on-disk route snapshot (issue #10, the proposal's "name-server snapshot"; Java has none).
//!
//! Opt-in ([`ClientOptions::route_snapshot_path`](crate::ClientOptions::route_snapshot_path)):
//! every route a name server returns that differs from the cached one is written to one JSON
//! file, replaced atomically as the local offset store does (`consumer/offset_store.rs`: a
//! temporary file, fsync, rename), so a crash leaves the old or the new file, never half of
//! one. The file is read once when the client instance is created; its routes are used only
//! when no name server answers for a topic that is not cached yet, so a client started while
//! every name server is down can still reach the brokers a previous run knew. Routes from the
//! name server always win. A missing file is normal, an unreadable one a warning.
//!
//! Format: `{"version":1,"topics":{"<topic>":{"savedAtMs":<epoch ms>,"route":<TopicRouteData
//! in the name server's JSON>}}}`. Clients sharing a path merge: each write re-reads the file and
//! keeps the newer entry of each topic.

use rocketmq_remoting::body::route::TopicRouteData;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

const VERSION: u64 = 1;

/// One topic's saved route.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedRoute {
    /// The route as the name server gave it.
    pub route: TopicRouteData,
    /// When it was saved (epoch ms).
    pub saved_at_ms: i64,
}

impl SavedRoute {
    /// How long ago it was saved (zero if the clock went back).
    pub fn age(&self) -> Duration {
        Duration::from_millis(u64::try_from(now_ms().saturating_sub(self.saved_at_ms)).unwrap_or(0))
    }
}

/// The snapshot file of one client instance and the routes it holds.
#[derive(Debug)]
pub struct RouteSnapshot {
    path: PathBuf,
    routes: Mutex<BTreeMap<String, SavedRoute>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl RouteSnapshot {
    /// Open the snapshot at `path`, loading what it holds. Never fails: a missing file is an
    /// empty snapshot; an unreadable one is logged as a warning and replaced on the next write.
    pub fn open(path: PathBuf) -> Self {
        let routes = match read_file(&path) {
            Ok(Some(routes)) => {
                let newest = routes.values().map(|r| r.saved_at_ms).max().unwrap_or(0);
                let age_s = now_ms().saturating_sub(newest) / 1000;
                tracing::info!(
                    snapshot = %path.display(),
                    topics = routes.len(),
                    age_s,
                    "loaded the route snapshot; its routes are used only while no name server answers"
                );
                routes
            }
            Ok(None) => BTreeMap::new(),
            Err(e) => {
                tracing::warn!(
                    snapshot = %path.display(),
                    error = %e,
                    "the route snapshot is unreadable and is ignored; it is rewritten on the next route change"
                );
                BTreeMap::new()
            }
        };
        RouteSnapshot { path, routes: Mutex::new(routes) }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved route of `topic`.
    pub fn get(&self, topic: &str) -> Option<SavedRoute> {
        lock(&self.routes).get(topic).cloned()
    }

    /// Record `route` for `topic` and rewrite the file (merged with what other clients wrote to
    /// it meanwhile). Blocking file I/O: call from a blocking context.
    pub fn save(&self, topic: &str, route: TopicRouteData) -> Result<()> {
        let mut routes = lock(&self.routes);
        routes.insert(topic.to_owned(), SavedRoute { route, saved_at_ms: now_ms() });
        // Entries another client saved since we loaded the file; ours win when newer.
        if let Ok(Some(on_disk)) = read_file(&self.path) {
            for (topic, saved) in on_disk {
                match routes.get(&topic) {
                    Some(mine) if mine.saved_at_ms >= saved.saved_at_ms => {}
                    _ => {
                        routes.insert(topic, saved);
                    }
                }
            }
        }
        write_atomically(&self.path, &encode(&routes))
    }
}

fn encode(routes: &BTreeMap<String, SavedRoute>) -> Vec<u8> {
    let mut topics = Map::new();
    for (topic, saved) in routes {
        let route: Value = serde_json::from_slice(&saved.route.encode()).unwrap_or(Value::Null);
        topics.insert(topic.clone(), json!({ "savedAtMs": saved.saved_at_ms, "route": route }));
    }
    let doc = json!({ "version": VERSION, "topics": topics });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

fn decode(bytes: &[u8]) -> std::result::Result<BTreeMap<String, SavedRoute>, String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    match doc.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        other => return Err(format!("unknown version {other:?}")),
    }
    let topics = doc.get("topics").and_then(Value::as_object).ok_or("no \"topics\" object")?;
    let mut routes = BTreeMap::new();
    for (topic, entry) in topics {
        let saved_at_ms =
            entry.get("savedAtMs").and_then(Value::as_i64).ok_or_else(|| format!("topic {topic}: no savedAtMs"))?;
        let route = entry.get("route").ok_or_else(|| format!("topic {topic}: no route"))?;
        let route = TopicRouteData::decode(route.to_string().as_bytes())
            .map_err(|e| format!("topic {topic}: {}", e.message()))?;
        routes.insert(topic.clone(), SavedRoute { route, saved_at_ms });
    }
    Ok(routes)
}

/// `Ok(None)` when there is no file (or an empty one).
fn read_file(path: &Path) -> Result<Option<BTreeMap<String, SavedRoute>>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::config(format!("cannot read {}: {e}", path.display()))),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    decode(&bytes).map(Some).map_err(|e| Error::config(format!("cannot parse {}: {e}", path.display())))
}

/// Replace `path` with `content` atomically. The temporary name is unique per process and
/// call, so two clients writing one snapshot never write the same temporary file.
fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let io = |action: &str, p: &Path, e: std::io::Error| Error::config(format!("cannot {action} {}: {e}", p.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir).map_err(|e| io("create directory", dir, e))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.{}.tmp", std::process::id(), fastrand::u64(..)));
    let tmp = PathBuf::from(tmp);
    let written = fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(content)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io("write", &tmp, e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io("replace", path, e));
    }
    if let Some(dir) = dir {
        if let Ok(handle) = fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq_remoting::body::route::{BrokerData, QueueData};

    fn route(broker: &str, addr: &str) -> TopicRouteData {
        let mut r = TopicRouteData::default();
        r.queue_datas.push(QueueData {
            broker_name: broker.into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            perm: 6,
            ..Default::default()
        });
        r.broker_datas.push(BrokerData {
            broker_name: broker.into(),
            broker_addrs: [(0, addr.to_owned())].into_iter().collect(),
            ..Default::default()
        });
        r
    }

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("rmq-snapshot-test-{}-{}-{name}", std::process::id(), fastrand::u64(..)))
    }

    #[test]
    fn saved_routes_survive_a_reopen_and_clients_sharing_a_file_merge() -> Result<()> {
        let path = temp_path("routes.json");
        let a = RouteSnapshot::open(path.clone());
        assert!(a.get("T1").is_none(), "no file yet: empty");
        a.save("T1", route("broker-a", "127.0.0.1:10911"))?;
        let b = RouteSnapshot::open(path.clone());
        assert_eq!(b.get("T1").map(|s| s.route), Some(route("broker-a", "127.0.0.1:10911")));
        // a writes T2 after b opened; b's next write keeps it.
        a.save("T2", route("broker-b", "127.0.0.1:10921"))?;
        b.save("T1", route("broker-a", "127.0.0.1:10999"))?;
        let c = RouteSnapshot::open(path.clone());
        assert_eq!(c.get("T1").map(|s| s.route), Some(route("broker-a", "127.0.0.1:10999")));
        assert_eq!(c.get("T2").map(|s| s.route), Some(route("broker-b", "127.0.0.1:10921")));
        assert!(c.get("T1").is_some_and(|s| s.age() < Duration::from_secs(60)));
        let leftovers = fs::read_dir(std::env::temp_dir())
            .map_err(|e| Error::config(e.to_string()))?
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name().to_string_lossy().starts_with(&*path.file_name().unwrap_or_default().to_string_lossy())
            })
            .count();
        assert_eq!(leftovers, 1, "no temporary file left beside the snapshot");
        let _ = fs::remove_file(&path);
        Ok(())
    }

    #[test]
    fn a_corrupt_file_is_ignored_and_replaced() -> Result<()> {
        let path = temp_path("corrupt.json");
        for garbage in
            [&b"{\"version\":1,\"topics\":{\"T\":{\"savedAtMs\":1,\"rou"[..], b"\x00\xff", b"{\"version\":7}"]
        {
            fs::write(&path, garbage).map_err(|e| Error::config(e.to_string()))?;
            assert!(read_file(&path).is_err(), "{garbage:?} is reported as unreadable");
            let s = RouteSnapshot::open(path.clone());
            assert!(s.get("T").is_none());
            s.save("T", route("broker-a", "127.0.0.1:1"))?;
            assert!(RouteSnapshot::open(path.clone()).get("T").is_some(), "the next write replaces it");
        }
        let _ = fs::remove_file(&path);
        Ok(())
    }
}
