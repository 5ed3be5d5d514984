//! JSON bodies (routes, heartbeat, consumer admin bodies): see the submodules.
