//! Consume offsets (protocol.md §5.10), after Java's `client/consumer/store/`: how a consumer
//! commits offsets is answered here.
//!
//! * [`OffsetStore`] is the one store a consumer owns (Java `OffsetStore`, implemented by
//!   `RemoteBrokerOffsetStore` for clustering and `LocalFileOffsetStore` for broadcasting): the
//!   in-memory table, the query of the stored offset when a queue is assigned, the periodic
//!   persistence, and the final persist + removal when a queue goes away.
//! * [`OffsetTable`] is the in-memory half both Java stores share (`offsetTable` of
//!   `RemoteBrokerOffsetStore` and `LocalFileOffsetStore`, values `ControllableOffset`): the
//!   remote (clustering) store keeps it and talks to the broker; the local store below persists
//!   it to a file.
//! * [`LocalFileOffsetStore`] is the file half of Java's `LocalFileOffsetStore` (broadcasting):
//!   `<dir>/<clientId>/<group>/offsets.json` holding an `OffsetSerializeWrapper` in fastjson
//!   style, readable by Java clients and able to read theirs.
//!
//! Unlike Java's `MixAll.string2File`, which overwrites the file in place, every write here is
//! atomic (temporary file, fsync, rename), so a crash never leaves a truncated `offsets.json`.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rocketmq_remoting::body::OffsetSerializeWrapper;
use rocketmq_remoting::MessageQueue;
use tokio::task::JoinHandle;

use super::broker_api;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;

/// Where an [`OffsetStore`] keeps offsets beyond memory.
#[derive(Debug)]
enum Backend {
    /// Java `RemoteBrokerOffsetStore`: the master broker of each queue (clustering).
    Broker {
        instance: Arc<ClientInstance>,
        group: String,
        /// Ask 5.x brokers not to answer 0 for an unknown group (`setZeroIfNotFound=false`).
        strict_not_found: bool,
    },
    /// Java `LocalFileOffsetStore`: a file per client and group (broadcasting).
    File(LocalFileOffsetStore),
}

/// A consumer's offsets: memory table plus the broker or the local file behind it.
///
/// Lifecycle of a queue's entry: [`read_stored`](Self::read_stored) when the queue is assigned,
/// [`update`](Self::update) / [`commit`](Self::commit) as messages are consumed, persisted every
/// few seconds by [`spawn_persister`](Self::spawn_persister), and [`release`](Self::release)d
/// (persisted once more, then forgotten) when the queue goes away.
#[derive(Debug)]
pub struct OffsetStore {
    table: OffsetTable,
    backend: Backend,
}

impl OffsetStore {
    /// The broker-backed store of a clustering consumer.
    pub fn broker(instance: Arc<ClientInstance>, group: &str, strict_not_found: bool) -> Self {
        OffsetStore {
            table: OffsetTable::new(),
            backend: Backend::Broker { instance, group: group.to_owned(), strict_not_found },
        }
    }

    /// The file-backed store of a broadcasting consumer.
    pub fn file(store: LocalFileOffsetStore) -> Self {
        OffsetStore { table: OffsetTable::new(), backend: Backend::File(store) }
    }

    /// The in-memory table.
    pub fn table(&self) -> &OffsetTable {
        &self.table
    }

    /// The offset in memory (`READ_FROM_MEMORY`).
    pub fn read(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.read(mq)
    }

    /// Set the in-memory offset (see [`OffsetTable::update`]).
    pub fn update(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        self.table.update(mq, offset, increase_only);
    }

    /// Record consumption up to `offset` (increase only; a negative offset means nothing to commit).
    pub fn commit(&self, mq: &MessageQueue, offset: i64) {
        if offset >= 0 {
            self.table.update(mq, offset, true);
        }
    }

    /// See [`OffsetTable::update_and_freeze`].
    pub fn update_and_freeze(&self, mq: &MessageQueue, offset: i64) {
        self.table.update_and_freeze(mq, offset);
    }

    /// Forget `mq` without persisting (Java `removeOffset`).
    pub fn remove(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.remove(mq)
    }

    /// A sorted copy of the table.
    pub fn snapshot(&self) -> BTreeMap<MessageQueue, i64> {
        self.table.snapshot()
    }

    /// The stored offset of `mq` (`readOffset(READ_FROM_STORE)`): `Ok(None)` when none is stored.
    /// A file-backed store also puts a found offset into memory (as Java's does).
    pub async fn read_stored(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        match &self.backend {
            Backend::File(store) => store.read_offset(&self.table, mq),
            Backend::Broker { instance, group, strict_not_found } => {
                let addr = broker_api::master_addr(instance, mq).await?;
                let zero_if_not_found = if *strict_not_found { Some(false) } else { None };
                broker_api::query_consumer_offset(instance, &addr, group, mq, zero_if_not_found).await
            }
        }
    }

    /// Persist the in-memory offset of `mq` (to its broker, oneway or acknowledged, or into the file).
    pub async fn persist(&self, mq: &MessageQueue, oneway: bool) -> Result<()> {
        match &self.backend {
            Backend::File(store) => store.persist_queues(&self.table, std::slice::from_ref(mq)),
            Backend::Broker { instance, group, .. } => {
                let Some(offset) = self.table.read(mq) else { return Ok(()) };
                let addr = broker_api::master_addr(instance, mq).await?;
                broker_api::update_consumer_offset(instance, &addr, group, mq, offset, oneway).await
            }
        }
    }

    /// Persist `mqs` (the file is written once), logging failures.
    pub async fn persist_queues(&self, mqs: &[MessageQueue], oneway: bool) {
        if let Backend::File(store) = &self.backend {
            if let Err(e) = store.persist_queues(&self.table, mqs) {
                tracing::warn!(error = %e, "cannot write the local offset file");
            }
            return;
        }
        for mq in mqs {
            if let Err(e) = self.persist(mq, oneway).await {
                tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset");
            }
        }
    }

    /// Persist every queue in the table (Java `persistAll`): its keys are the queues in use,
    /// since [`release`](Self::release) removes a queue that goes away.
    pub async fn persist_all(&self, oneway: bool) {
        let queues: Vec<MessageQueue> = self.table.snapshot().into_keys().collect();
        self.persist_queues(&queues, oneway).await;
    }

    /// The queue went away: persist its offset one last time (oneway) and forget it.
    pub async fn release(&self, mq: &MessageQueue) {
        if let Err(e) = self.persist(mq, true).await {
            tracing::warn!(queue = %mq, error = %e, "cannot persist consumer offset");
        }
        self.table.remove(mq);
    }

    /// The persistence schedule (`persistConsumerOffsetInterval`): every `every`, persist all
    /// (oneway). The task ends when the store is dropped; abort it at shutdown.
    pub fn spawn_persister(self: &Arc<Self>, every: Duration) -> JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(store) = weak.upgrade() else { return };
                store.persist_all(true).await;
            }
        })
    }
}

/// Java `ControllableOffset`: an offset that a reset can freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ControllableOffset {
    offset: i64,
    /// Java `!allowToUpdate`: set by `updateAndFreeze`, cleared only by removing the entry.
    frozen: bool,
}

/// The in-memory offset table of Java's offset stores (`ConcurrentMap<MessageQueue,
/// ControllableOffset> offsetTable`): queue → next offset to consume. Thread-safe; every method
/// takes one short std lock (recovered if poisoned), so it may be called from async code.
#[derive(Debug, Default)]
pub struct OffsetTable {
    inner: Mutex<HashMap<MessageQueue, ControllableOffset>>,
}

impl OffsetTable {
    /// An empty table.
    pub fn new() -> Self {
        OffsetTable::default()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<MessageQueue, ControllableOffset>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Java `OffsetStore.updateOffset(mq, offset, increaseOnly)`: a new queue takes `offset`;
    /// an existing one moves to `max(old, offset)` when `increase_only` (after consumption), or
    /// to `offset` when not (reads from the store, resets). A frozen offset does not change.
    pub fn update(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut map = self.map();
        match map.get_mut(mq) {
            Some(entry) if entry.frozen => {}
            Some(entry) if increase_only => entry.offset = entry.offset.max(offset),
            Some(entry) => entry.offset = offset,
            None => {
                map.insert(mq.clone(), ControllableOffset { offset, frozen: false });
            }
        }
    }

    /// Java `OffsetStore.updateAndFreezeOffset`: set `offset` and ignore later
    /// [`update`](Self::update)s until the queue is [`remove`](Self::remove)d (used by offset
    /// resets, so consume threads still running cannot move the offset back).
    pub fn update_and_freeze(&self, mq: &MessageQueue, offset: i64) {
        self.map().insert(mq.clone(), ControllableOffset { offset, frozen: true });
    }

    /// Java `readOffset(mq, READ_FROM_MEMORY)`: the offset in memory, `None` where Java answers
    /// `-1`.
    pub fn read(&self, mq: &MessageQueue) -> Option<i64> {
        self.map().get(mq).map(|entry| entry.offset)
    }

    /// Whether the offset of `mq` is frozen by [`update_and_freeze`](Self::update_and_freeze).
    pub fn is_frozen(&self, mq: &MessageQueue) -> bool {
        self.map().get(mq).is_some_and(|entry| entry.frozen)
    }

    /// Java `OffsetStore.removeOffset`: forget the queue (and any freeze); returns its offset.
    pub fn remove(&self, mq: &MessageQueue) -> Option<i64> {
        self.map().remove(mq).map(|entry| entry.offset)
    }

    /// Keep only the queues for which `keep` answers true and return the others, sorted (the
    /// "remove unused mq" step of Java `RemoteBrokerOffsetStore.persistAll`).
    pub fn retain(&self, mut keep: impl FnMut(&MessageQueue) -> bool) -> Vec<MessageQueue> {
        let mut removed = Vec::new();
        self.map().retain(|mq, _| {
            let kept = keep(mq);
            if !kept {
                removed.push(mq.clone());
            }
            kept
        });
        removed.sort();
        removed
    }

    /// A sorted copy of the whole table.
    pub fn snapshot(&self) -> BTreeMap<MessageQueue, i64> {
        self.map().iter().map(|(mq, entry)| (mq.clone(), entry.offset)).collect()
    }

    /// Java `cloneOffsetTable(topic)`: a sorted copy of the queues of `topic` (all queues when
    /// `topic` is blank, as Java).
    pub fn snapshot_topic(&self, topic: &str) -> BTreeMap<MessageQueue, i64> {
        let topic = topic.trim();
        self.map()
            .iter()
            .filter(|(mq, _)| topic.is_empty() || mq.topic == topic)
            .map(|(mq, entry)| (mq.clone(), entry.offset))
            .collect()
    }

    /// Java `LocalFileOffsetStore.load`'s `offsetTable.put(mq, new ControllableOffset(offset))`:
    /// set these offsets as they are (not increase-only, any freeze lifted).
    pub fn load<I: IntoIterator<Item = (MessageQueue, i64)>>(&self, entries: I) {
        let mut map = self.map();
        for (mq, offset) in entries {
            map.insert(mq, ControllableOffset { offset, frozen: false });
        }
    }

    /// Number of queues in the table.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }
}

/// Java `MixAll.string2File` is `static synchronized`: one persist at a time in the process, so
/// two stores never race on the same temporary file.
static PERSIST_LOCK: Mutex<()> = Mutex::new(());

/// Environment variable naming the offsets directory (Java: system property
/// `rocketmq.client.localOffsetStoreDir`).
pub const OFFSETS_DIR_ENV: &str = "ROCKETMQ_OFFSETS_DIR";

/// The file half of Java `LocalFileOffsetStore` (broadcasting consumers): reads and writes
/// `<dir>/<clientId>/<group>/offsets.json`, keeping the previous content in `offsets.json.bak`.
/// The offsets themselves live in an [`OffsetTable`] the caller owns: [`load`](Self::load) it at
/// start, [`persist`](Self::persist) / [`persist_queues`](Self::persist_queues) it periodically.
/// The file I/O is blocking but tiny (one small file, two fsyncs per changed write).
#[derive(Debug, Clone)]
pub struct LocalFileOffsetStore {
    group: String,
    path: PathBuf,
}

impl LocalFileOffsetStore {
    /// Java's file name.
    pub const FILE_NAME: &'static str = "offsets.json";

    /// Java `LOCAL_OFFSET_STORE_DIR`: `$ROCKETMQ_OFFSETS_DIR` if set and not empty, else
    /// `<user home>/.rocketmq_offsets`, the home being Java's `user.home`: `$HOME` on Unix
    /// (`%USERPROFILE%` when there is no `HOME`); on Windows `%USERPROFILE%` first, since a
    /// `HOME` there is often an MSYS/Git Bash path like `/c/Users/me` (then `HOME`).
    pub fn default_dir() -> Result<PathBuf> {
        dir_from(std::env::var_os(OFFSETS_DIR_ENV), home_dir(cfg!(windows), |k| std::env::var_os(k)))
    }

    /// The store of `group` for client `client_id` under [`default_dir`](Self::default_dir).
    pub fn new(client_id: &str, group: &str) -> Result<Self> {
        Self::with_dir(Self::default_dir()?, client_id, group)
    }

    /// The store of `group` for client `client_id` under `dir` (Java `storePath`). The client id
    /// and group become directory names, so they must be non-empty and free of path separators
    /// (a Config error otherwise). Nothing is read or created yet.
    pub fn with_dir(dir: impl Into<PathBuf>, client_id: &str, group: &str) -> Result<Self> {
        for (what, part) in [("client id", client_id), ("consumer group", group)] {
            if part.is_empty() || part == "." || part == ".." || part.contains(['/', '\\', '\0']) {
                return Err(Error::config(format!("{what} {part:?} cannot name an offsets directory")));
            }
        }
        let path = dir.into().join(client_id).join(group).join(Self::FILE_NAME);
        Ok(LocalFileOffsetStore { group: group.to_owned(), path })
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// `…/offsets.json`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `…/offsets.json.bak`: the content before the last write.
    pub fn bak_path(&self) -> PathBuf {
        with_suffix(&self.path, ".bak")
    }

    /// Java `readLocalOffset`: the offsets in `offsets.json`, or in `offsets.json.bak` when the
    /// main file is missing, empty or unparsable. `None` when neither holds anything. An error
    /// (Config, naming the file) only when the main file is unusable and the backup exists but
    /// cannot be parsed, as in Java.
    pub fn read_file(&self) -> Result<Option<BTreeMap<MessageQueue, i64>>> {
        Ok(self.read_existing()?.table)
    }

    /// Java `load()`: put the file's offsets into `table`; returns how many were loaded.
    pub fn load(&self, table: &OffsetTable) -> Result<usize> {
        let offsets = self.read_file()?.unwrap_or_default();
        for (mq, offset) in &offsets {
            tracing::info!(group = %self.group, %mq, offset, "loaded consumer offset from local file");
        }
        let count = offsets.len();
        table.load(offsets);
        Ok(count)
    }

    /// Java `readOffset(mq, READ_FROM_STORE)`: the offset of `mq` in the file; when found it
    /// also replaces the one in `table` (`updateOffset(mq, offset, false)`). `None` where Java
    /// answers `-1`; an unusable file and backup is an error (Java logs it and answers `-1`).
    pub fn read_offset(&self, table: &OffsetTable, mq: &MessageQueue) -> Result<Option<i64>> {
        let offset = self.read_file()?.and_then(|offsets| offsets.get(mq).copied());
        if let Some(offset) = offset {
            table.update(mq, offset, false);
        }
        Ok(offset)
    }

    /// Java `persistAll` with every queue of `table`: see [`persist_queues`](Self::persist_queues).
    pub fn persist(&self, table: &OffsetTable) -> Result<()> {
        self.write_merged(table.snapshot())
    }

    /// Java `persistAll(mqs)` / `persist(mq)`: write the offsets `table` holds for `mqs` into the
    /// file, keeping the file's entries for other queues (Java reads the file and overlays).
    ///
    /// The previous content goes to `offsets.json.bak` and the new one replaces `offsets.json`,
    /// each atomically (`*.tmp`, fsync, rename, directory fsync), so after a crash at any point
    /// one of the two files holds a complete table. Nothing is written when the content would
    /// not change. Differences from Java: an unparsable previous file is not copied over a good
    /// `.bak`, and an unreadable file plus backup does not block writing (Java gives up forever).
    pub fn persist_queues(&self, table: &OffsetTable, mqs: &[MessageQueue]) -> Result<()> {
        if mqs.is_empty() {
            return Ok(());
        }
        let entries = mqs.iter().filter_map(|mq| table.read(mq).map(|offset| (mq.clone(), offset))).collect();
        self.write_merged(entries)
    }

    fn write_merged(&self, entries: BTreeMap<MessageQueue, i64>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let _serial = PERSIST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let existing = match self.read_existing() {
            Ok(existing) => existing,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "offset files unreadable; rewriting from memory");
                Existing::default()
            }
        };
        let mut merged = existing.table.unwrap_or_default();
        merged.extend(entries);
        let content = OffsetSerializeWrapper { offset_table: merged.into_iter().collect() }.encode();
        if existing.main.as_deref() == Some(content.as_slice()) {
            return Ok(());
        }
        if let Some(previous) = &existing.main {
            let bak = self.bak_path();
            if let Err(e) = write_atomically(&bak, previous) {
                tracing::warn!(path = %bak.display(), error = %e, "could not keep the previous offsets as backup");
            }
        }
        write_atomically(&self.path, &content)
    }

    /// Read the main file, falling back to the backup; `main` is the main file's bytes when they
    /// parsed (only those are worth keeping as the backup).
    fn read_existing(&self) -> Result<Existing> {
        match read_offsets(&self.path) {
            Ok(Some((bytes, table))) => return Ok(Existing { table: Some(table), main: Some(bytes) }),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "local offset file unusable, trying the backup"),
        }
        let bak = self.bak_path();
        match read_offsets(&bak) {
            Ok(found) => Ok(Existing { table: found.map(|(_, table)| table), main: None }),
            Err(e) => Err(e.context("local offset file and its backup are unusable")),
        }
    }
}

/// What [`LocalFileOffsetStore::read_existing`] found.
#[derive(Debug, Default)]
struct Existing {
    table: Option<BTreeMap<MessageQueue, i64>>,
    main: Option<Vec<u8>>,
}

/// `$ROCKETMQ_OFFSETS_DIR`, else `<home>/.rocketmq_offsets`.
/// The user's home as Java's `user.home` finds it (see [`LocalFileOffsetStore::default_dir`]).
fn home_dir(windows: bool, var: impl Fn(&str) -> Option<OsString>) -> Option<OsString> {
    let order = if windows { ["USERPROFILE", "HOME"] } else { ["HOME", "USERPROFILE"] };
    order.into_iter().find_map(|k| var(k).filter(|v| !v.is_empty()))
}

fn dir_from(env_dir: Option<OsString>, home: Option<OsString>) -> Result<PathBuf> {
    if let Some(dir) = env_dir.filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    home.filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".rocketmq_offsets"))
        .ok_or_else(|| Error::config(format!("no directory for local consumer offsets: set {OFFSETS_DIR_ENV} or HOME")))
}

/// `path` with `suffix` appended to its file name (`offsets.json` → `offsets.json.bak`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

fn io_error(action: &str, path: &Path, e: io::Error) -> Error {
    Error::config(format!("cannot {action} {}", path.display())).with_source(e)
}

/// An offsets file as read: its bytes and the table they hold.
type FileContent = (Vec<u8>, BTreeMap<MessageQueue, i64>);

/// Read and parse one offsets file: `None` if missing or blank; an error naming the file if it
/// cannot be read or parsed.
fn read_offsets(path: &Path) -> Result<Option<FileContent>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read", path, e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let wrapper = OffsetSerializeWrapper::decode(&bytes)
        .map_err(|e| Error::config(format!("cannot parse consumer offsets in {}: {}", path.display(), e.message())))?;
    Ok(Some((bytes, wrapper.offset_table.into_iter().collect())))
}

/// Replace `path` with `content` atomically: write `<path>.tmp`, fsync it, rename it over
/// `path`, fsync the directory. A crash leaves either the old or the new file, plus at worst a
/// stale `.tmp` that readers ignore and the next write truncates.
fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir).map_err(|e| io_error("create directory", dir, e))?;
    }
    let tmp = with_suffix(path, ".tmp");
    let written = fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(content)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write", &tmp, e));
    }
    fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))?;
    // Make the rename itself durable. Directories cannot be opened on every platform (Windows);
    // there the rename is as durable as the OS makes it.
    if let Some(dir) = dir {
        if let Ok(handle) = fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn home_is_userprofile_first_on_windows_and_home_first_elsewhere() {
        use std::ffi::OsString;
        let both = |k: &str| match k {
            "HOME" => Some(OsString::from("/c/Users/me")),
            "USERPROFILE" => Some(OsString::from(r"C:\Users\me")),
            _ => None,
        };
        assert_eq!(super::home_dir(true, both), Some(OsString::from(r"C:\Users\me")));
        assert_eq!(super::home_dir(false, both), Some(OsString::from("/c/Users/me")));
        let only_home = |k: &str| (k == "HOME").then(|| OsString::from("/home/me"));
        assert_eq!(super::home_dir(true, only_home), Some(OsString::from("/home/me")));
        let empty_home = |k: &str| match k {
            "HOME" => Some(OsString::new()),
            "USERPROFILE" => Some(OsString::from(r"C:\Users\me")),
            _ => None,
        };
        assert_eq!(super::home_dir(false, empty_home), Some(OsString::from(r"C:\Users\me")));
        assert_eq!(super::home_dir(true, |_: &str| None), None);
    }

    use super::*;
    use crate::ErrorKind;

    /// A fresh directory under the system temp dir, removed on drop.
    struct TestDir(PathBuf);

    impl TestDir {
        fn new(name: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("rmq-offsets-{name}-{}-{nanos}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            TestDir(dir)
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn mq(topic: &str, id: i32) -> MessageQueue {
        MessageQueue::new(topic, "broker-a", id)
    }

    fn store(dir: &TestDir) -> Result<LocalFileOffsetStore> {
        LocalFileOffsetStore::with_dir(&dir.0, "10.0.0.5@DEFAULT", "CG")
    }

    #[test]
    fn table_updates_are_monotonic_unless_told() {
        let t = OffsetTable::new();
        let q = mq("T", 0);
        assert_eq!(t.read(&q), None);
        t.update(&q, 10, true);
        assert_eq!(t.read(&q), Some(10), "a new queue takes the offset even if increase-only");
        t.update(&q, 5, true);
        assert_eq!(t.read(&q), Some(10));
        t.update(&q, 12, true);
        assert_eq!(t.read(&q), Some(12));
        t.update(&q, 3, false);
        assert_eq!(t.read(&q), Some(3), "reset");
        assert_eq!(t.remove(&q), Some(3));
        assert!(t.is_empty());
    }

    #[test]
    fn table_freeze_snapshot_retain() {
        let t = OffsetTable::new();
        let (a, b, c) = (mq("T", 0), mq("T", 1), mq("U", 0));
        t.update(&a, 100, true);
        t.update_and_freeze(&a, 7);
        t.update(&a, 200, true);
        t.update(&a, 1, false);
        assert_eq!((t.read(&a), t.is_frozen(&a)), (Some(7), true), "frozen offsets do not move");
        t.remove(&a);
        t.update(&a, 200, true);
        assert_eq!((t.read(&a), t.is_frozen(&a)), (Some(200), false));
        t.update(&b, 1, true);
        t.update(&c, 2, true);
        assert_eq!(
            t.snapshot().into_iter().collect::<Vec<_>>(),
            vec![(a.clone(), 200), (b.clone(), 1), (c.clone(), 2)]
        );
        assert_eq!(t.snapshot_topic("U").len(), 1);
        assert_eq!(t.snapshot_topic(" ").len(), 3);
        assert_eq!(t.retain(|q| q.topic == "T"), vec![c.clone()]);
        assert_eq!(t.len(), 2);
        t.update_and_freeze(&b, 5);
        t.load([(b.clone(), 9)]);
        assert_eq!((t.read(&b), t.is_frozen(&b)), (Some(9), false));
    }

    #[test]
    fn table_is_shared_across_threads() {
        let t = std::sync::Arc::new(OffsetTable::new());
        let q = mq("T", 0);
        let handles: Vec<_> = (0..4i64)
            .map(|k| {
                let (t, q) = (std::sync::Arc::clone(&t), q.clone());
                std::thread::spawn(move || (0..1000).for_each(|i| t.update(&q, i * 4 + k, true)))
            })
            .collect();
        for h in handles {
            assert!(h.join().is_ok());
        }
        assert_eq!(t.read(&q), Some(3999));
    }

    #[test]
    fn file_round_trip_and_merge() -> Result<()> {
        let dir = TestDir::new("roundtrip");
        let s = store(&dir)?;
        assert_eq!(s.path(), dir.0.join("10.0.0.5@DEFAULT").join("CG").join("offsets.json"));
        assert_eq!(s.read_file()?, None);
        let t = OffsetTable::new();
        assert_eq!(s.load(&t)?, 0);

        t.update(&mq("T", 0), 12, true);
        t.update(&mq("T", 1), 0, true);
        s.persist(&t)?;
        let loaded = OffsetTable::new();
        assert_eq!(s.load(&loaded)?, 2);
        assert_eq!(loaded.snapshot(), t.snapshot());
        assert!(!s.bak_path().exists(), "no previous content yet");

        // Persisting some queues keeps the file's other entries (Java overlays).
        let other = OffsetTable::new();
        other.update(&mq("T", 1), 40, true);
        other.update(&mq("T", 2), 7, true);
        s.persist_queues(&other, &[mq("T", 1), mq("T", 9)])?;
        let on_disk = s.read_file()?.unwrap_or_default();
        assert_eq!(on_disk.into_iter().collect::<Vec<_>>(), vec![(mq("T", 0), 12), (mq("T", 1), 40)]);
        // The previous content became the backup.
        let bak = fs::read(s.bak_path()).map_err(|e| io_error("read", &s.bak_path(), e))?;
        let bak = OffsetSerializeWrapper::decode(&bak)?;
        assert_eq!(bak.offset_table, vec![(mq("T", 0), 12), (mq("T", 1), 0)]);

        // READ_FROM_STORE updates memory, not increase-only.
        let mem = OffsetTable::new();
        mem.update(&mq("T", 1), 99, true);
        assert_eq!(s.read_offset(&mem, &mq("T", 1))?, Some(40));
        assert_eq!(mem.read(&mq("T", 1)), Some(40));
        assert_eq!(s.read_offset(&mem, &mq("T", 5))?, None);
        assert_eq!(mem.read(&mq("T", 5)), None);
        Ok(())
    }

    #[test]
    fn unchanged_content_is_not_rewritten() -> Result<()> {
        let dir = TestDir::new("unchanged");
        let s = store(&dir)?;
        let t = OffsetTable::new();
        t.update(&mq("T", 0), 1, true);
        s.persist(&t)?;
        s.persist(&t)?;
        assert!(!s.bak_path().exists(), "second identical persist wrote nothing");
        t.update(&mq("T", 0), 2, true);
        s.persist(&t)?;
        assert!(s.bak_path().exists());
        Ok(())
    }

    #[test]
    fn stale_tmp_from_a_crash_is_ignored_and_replaced() -> Result<()> {
        let dir = TestDir::new("crash");
        let s = store(&dir)?;
        let t = OffsetTable::new();
        t.update(&mq("T", 0), 5, true);
        s.persist(&t)?;
        // A crash after writing (part of) the temporary file, before the rename.
        let tmp = with_suffix(s.path(), ".tmp");
        fs::write(&tmp, br#"{"offsetTable":{{"brokerName":"broker-a","queu"#)
            .map_err(|e| io_error("write", &tmp, e))?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&5), "old file still whole");
        t.update(&mq("T", 0), 6, true);
        s.persist(&t)?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&6));
        assert!(!tmp.exists(), "the next write consumed the stale temporary file");
        Ok(())
    }

    #[test]
    fn reads_java_fastjson_file() -> Result<()> {
        let dir = TestDir::new("java");
        let s = store(&dir)?;
        let parent = s.path().parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&parent).map_err(|e| io_error("create", &parent, e))?;
        // What Java's `OffsetSerializeWrapper.toJson(true)` writes (fastjson, pretty, object keys).
        let java = "{\n\t\"offsetTable\":{{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":0,\n\t\t\t\"topic\":\"T\"\n\t\t}:12,{\n\t\t\t\"brokerName\":\"broker-a\",\n\t\t\t\"queueId\":1,\n\t\t\t\"topic\":\"T\"\n\t\t}:0\n\t}\n}";
        fs::write(s.path(), java).map_err(|e| io_error("write", s.path(), e))?;
        let t = OffsetTable::new();
        assert_eq!(s.load(&t)?, 2);
        assert_eq!((t.read(&mq("T", 0)), t.read(&mq("T", 1))), (Some(12), Some(0)));
        // The compact form from the brief, too.
        fs::write(s.path(), r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:12}}"#)
            .map_err(|e| io_error("write", s.path(), e))?;
        let one = s.read_file()?.unwrap_or_default();
        assert_eq!(one.get(&MessageQueue::new("T", "b", 0)), Some(&12));
        // And what we write is the same fastjson shape (object keys, sorted fields).
        s.persist(&t)?;
        let written = fs::read_to_string(s.path()).map_err(|e| io_error("read", s.path(), e))?;
        assert!(written.contains(r#"{{"brokerName":"b","queueId":0,"topic":"T"}:12,"#), "{written}");
        Ok(())
    }

    #[test]
    fn corrupt_main_file_falls_back_to_bak() -> Result<()> {
        let dir = TestDir::new("corrupt");
        let s = store(&dir)?;
        let t = OffsetTable::new();
        t.update(&mq("T", 0), 1, true);
        s.persist(&t)?;
        t.update(&mq("T", 0), 2, true);
        s.persist(&t)?; // .bak holds 1, main holds 2
        fs::write(s.path(), b"{\"offsetTable\":{{\"brokerName\"").map_err(|e| io_error("write", s.path(), e))?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&1));
        // Empty main file: same fallback.
        fs::write(s.path(), b"").map_err(|e| io_error("write", s.path(), e))?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&1));

        // Writing over a corrupt main file keeps the good backup.
        fs::write(s.path(), b"garbage").map_err(|e| io_error("write", s.path(), e))?;
        t.update(&mq("T", 0), 3, true);
        s.persist(&t)?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&3));
        let bak = fs::read(s.bak_path()).map_err(|e| io_error("read", &s.bak_path(), e))?;
        assert_eq!(OffsetSerializeWrapper::decode(&bak)?.offset_table, vec![(mq("T", 0), 1)]);

        // Corrupt main, no backup: nothing (Java returns null). Corrupt backup too: an error
        // naming the file.
        fs::write(s.path(), b"garbage").map_err(|e| io_error("write", s.path(), e))?;
        fs::remove_file(s.bak_path()).map_err(|e| io_error("remove", &s.bak_path(), e))?;
        assert_eq!(s.read_file()?, None);
        fs::write(s.bak_path(), b"{{{").map_err(|e| io_error("write", &s.bak_path(), e))?;
        let err = s.read_file().err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::Config));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("offsets.json.bak"), "{text}");
        // Persisting still works and repairs the main file.
        s.persist(&t)?;
        assert_eq!(s.read_file()?.unwrap_or_default().get(&mq("T", 0)), Some(&3));
        Ok(())
    }

    #[test]
    fn write_errors_name_the_path() -> Result<()> {
        let dir = TestDir::new("errors");
        fs::create_dir_all(&dir.0).map_err(|e| io_error("create", &dir.0, e))?;
        // A file where the client-id directory should be.
        let blocker = dir.0.join("10.0.0.5@DEFAULT");
        fs::write(&blocker, b"x").map_err(|e| io_error("write", &blocker, e))?;
        let s = store(&dir)?;
        let t = OffsetTable::new();
        t.update(&mq("T", 0), 1, true);
        let err = s.persist(&t).err();
        assert_eq!(err.as_ref().map(Error::kind), Some(ErrorKind::Config));
        assert!(err.map(|e| e.to_string()).unwrap_or_default().contains("10.0.0.5@DEFAULT"));
        Ok(())
    }

    #[test]
    fn directory_and_names() {
        assert_eq!(dir_from(Some("/x/offs".into()), Some("/home/u".into())).ok(), Some(PathBuf::from("/x/offs")));
        assert_eq!(
            dir_from(Some("".into()), Some("/home/u".into())).ok(),
            Some(PathBuf::from("/home/u").join(".rocketmq_offsets"))
        );
        assert_eq!(dir_from(None, None).err().map(|e| e.kind()), Some(ErrorKind::Config));
        assert!(LocalFileOffsetStore::default_dir().is_ok() || std::env::var_os("HOME").is_none());
        for (cid, group) in [("", "G"), ("a/b", "G"), ("c", ".."), ("c", "a\\b"), ("c", "")] {
            let err = LocalFileOffsetStore::with_dir("/tmp", cid, group).err();
            assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Config), "{cid:?} {group:?}");
        }
        let s = LocalFileOffsetStore::with_dir("/d", "c", "G").ok();
        assert_eq!(s.as_ref().map(|s| s.bak_path()), Some(PathBuf::from("/d/c/G/offsets.json.bak")));
        assert_eq!(s.as_ref().map(LocalFileOffsetStore::group), Some("G"));
    }
}
