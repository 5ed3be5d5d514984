//! What the benchmark examples share: the process's CPU time, for CPU time per message.

/// This process's CPU time in seconds (user + system, all threads), where `/proc` tells it.
pub fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces, hence the last ')'): state is
    // field 3, utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU µs per message since `started` (a [`process_cpu_secs`] reading), as JSON.
pub fn cpu_us_json(started: Option<f64>, count: usize) -> String {
    match (started, process_cpu_secs()) {
        (Some(a), Some(b)) if count > 0 => format!("{:.2}", (b - a) / count as f64 * 1e6),
        _ => "null".to_string(),
    }
}
