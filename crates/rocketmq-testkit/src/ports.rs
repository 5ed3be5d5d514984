//! Free loopback ports.
//!
//! Ports are drawn at random from 20000..32000: below Linux's ephemeral range (32768+), so an
//! outgoing connection never grabs a port between our check and the server's bind, and random so
//! that concurrent test processes rarely collide. Each port of a block must accept a bind on
//! 127.0.0.1 right now, and ports handed out in this process are never handed out twice until
//! released. A server that still fails to bind is restarted on new ports by the caller.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Result, TestkitError, TestkitErrorKind};

const LOW: u16 = 20000;
const HIGH: u16 = 32000;
const ATTEMPTS: usize = 500;

static TAKEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

fn taken() -> MutexGuard<'static, BTreeSet<u16>> {
    TAKEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether 127.0.0.1:`port` can be bound right now.
pub(crate) fn bindable(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Reserve `len` consecutive free ports and return the first.
pub(crate) fn reserve_block(len: u16) -> Result<u16> {
    let len = len.max(1);
    for _ in 0..ATTEMPTS {
        let base = fastrand::u16(LOW..HIGH - len);
        let mut set = taken();
        if (base..base + len).any(|p| set.contains(&p)) {
            continue;
        }
        if (base..base + len).all(bindable) {
            set.extend(base..base + len);
            return Ok(base);
        }
    }
    Err(TestkitError::new(
        TestkitErrorKind::Io,
        format!("no block of {len} free loopback ports found in {LOW}..{HIGH} after {ATTEMPTS} tries"),
    ))
}

/// Give ports back to the pool.
pub(crate) fn release(ports: impl IntoIterator<Item = u16>) {
    let mut set = taken();
    for port in ports {
        set.remove(&port);
    }
}
