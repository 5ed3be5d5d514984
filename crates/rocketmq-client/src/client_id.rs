//! Client ids (`ClientConfig.buildMQClientId`): `ip@instanceName`, unique per client object.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static LAST_STAMP: AtomicU64 = AtomicU64::new(0);

/// A fresh `<pid>#<nanos>` instance name, as Java's `changeInstanceNameToPID`. The stamp is
/// strictly increasing within the process, so two clients never get the same name.
pub fn unique_instance_name() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut prev = LAST_STAMP.load(Ordering::Relaxed);
    let stamp = loop {
        let candidate = now.max(prev + 1);
        match LAST_STAMP.compare_exchange_weak(prev, candidate, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break candidate,
            Err(actual) => prev = actual,
        }
    };
    format!("{}#{}", std::process::id(), stamp)
}

/// `ip@instance`. IPv6 addresses are bracketed as in Java.
pub fn build_client_id(ip: &str, instance_name: &str) -> String {
    if ip.contains(':') && !ip.starts_with('[') {
        format!("[{ip}]@{instance_name}")
    } else {
        format!("{ip}@{instance_name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_are_unique() {
        let names: std::collections::HashSet<_> = (0..1000).map(|_| unique_instance_name()).collect();
        assert_eq!(names.len(), 1000);
        let pid = std::process::id().to_string();
        assert!(names.iter().all(|n| n.starts_with(&format!("{pid}#"))));
    }

    #[test]
    fn client_id_format() {
        assert_eq!(build_client_id("10.0.0.5", "42#7"), "10.0.0.5@42#7");
        assert_eq!(build_client_id("fe80::1", "x"), "[fe80::1]@x");
    }
}
