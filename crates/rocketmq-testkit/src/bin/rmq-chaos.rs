//! `rmq-chaos [--short] [--write FILE] [SCENARIO...]`: run the chaos scenarios (all by default)
//! on fresh 2 name server + 2 broker clusters, print a verdict line per run and the table, and
//! with `--write` replace the table between the chaos markers of FILE (docs/reliability.md).

use std::process::ExitCode;

use rocketmq_testkit::chaos::{self, ChaosConfig, Scenario, Verdict};

const START: &str = "<!-- chaos-table:start -->";
const END: &str = "<!-- chaos-table:end -->";

fn command_output(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{} ({cores} cores, {cpu}), {}", command_output("uname", &["-sr"]), command_output("hostname", &[]))
}

fn write_table(path: &str, table: &str) -> Result<(), String> {
    let doc = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        return Err(format!("{path} has no {START} ... {END} markers"));
    };
    if end < start {
        return Err(format!("{path}: the markers are out of order"));
    }
    let new = format!("{}{START}\n{table}\n{}", &doc[..start], &doc[end..]);
    std::fs::write(path, new).map_err(|e| format!("cannot write {path}: {e}"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let mut short = false;
    let mut write: Option<String> = None;
    let mut scenarios = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--short" => short = true,
            "--write" => write = args.next(),
            name => match Scenario::parse(name) {
                Some(s) => scenarios.push(s),
                None => {
                    let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
                    eprintln!("unknown scenario {name}; known: {}", names.join(", "));
                    return ExitCode::from(2);
                }
            },
        }
    }
    if scenarios.is_empty() {
        scenarios = Scenario::ALL.to_vec();
    }
    let mut rows = Vec::new();
    let mut configs = Vec::new();
    let mut failed = false;
    for scenario in scenarios {
        let config = if short { ChaosConfig::short(scenario) } else { ChaosConfig::full(scenario) };
        let fault_for = match scenario {
            Scenario::NamesrvKill => "the rest of the run".to_owned(),
            _ => format!("{} s", config.fault_for.as_secs()),
        };
        configs.push(format!(
            "- {}: {} msg/s for {} s, fault at {} s for {fault_for}",
            scenario.name(),
            config.rate,
            config.duration.as_secs(),
            config.fault_at.as_secs(),
        ));
        match chaos::run(scenario, &config).await {
            Ok(v) => {
                println!("{v}");
                failed |= v.lost > 0 || v.drain.is_none();
                rows.push(v.table_row());
            }
            Err(e) => {
                eprintln!("{}: {e}", scenario.name());
                failed = true;
                rows.push(format!("| {} | run failed: {} |", scenario.name(), e.message().replace('|', "/")));
            }
        }
    }
    let table = format!(
        "Measured {} on {}.\n\n{}\n{}\n\n{}",
        command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        machine(),
        Verdict::table_header(),
        rows.join("\n"),
        configs.join("\n")
    );
    println!("\n{table}");
    if let Some(path) = write {
        if let Err(e) = write_table(&path, &table) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
