//! Runs many simulation seeds and prints how many passed:
//!
//! ```text
//! cargo run -p quarry-sim --release -- --seeds 1000 --steps 200 [--from 0] [--repeat K]
//!     [--verbose] [--trace]
//! ```
//!
//! Each seed runs on its own paused-clock runtime; a panic counts as a failure. The failing
//! seeds are listed at the end. `--verbose` prints a summary per seed and the steps of failing
//! seeds; `--trace` prints the steps of every seed. Re-run a failing seed with
//! `--from <seed> --seeds 1 --repeat 20 --verbose`: the scenario's steps are fixed by the seed,
//! the nodes' interleaving is not entirely, so a failure may need a few runs to recur.

use quarry_sim::run_seed;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    from: u64,
    seeds: u64,
    steps: usize,
    /// Runs of each seed (a seed's interleaving is not bit-reproducible, see `scenarios`).
    repeat: u64,
    verbose: bool,
    trace: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        from: 0,
        seeds: 100,
        steps: 200,
        repeat: 1,
        verbose: false,
        trace: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .and_then(|v| v.parse::<u64>().map_err(|e| format!("{name} [{v}]: {e}")))
        };
        match flag.as_str() {
            "--from" => args.from = value("--from")?,
            "--seeds" => args.seeds = value("--seeds")?,
            "--steps" => args.steps = usize::try_from(value("--steps")?).unwrap_or(usize::MAX),
            "--repeat" => args.repeat = value("--repeat")?.max(1),
            "--verbose" | "-v" => args.verbose = true,
            "--trace" => args.trace = true,
            "--help" | "-h" => {
                return Err(
                    "usage: sim-many [--from SEED] [--seeds N] [--steps N] [--verbose] [--trace]"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument [{other}]")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut runs = 0usize;
    let seeds = args.from..args.from.saturating_add(args.seeds);
    for seed in seeds.flat_map(|seed| std::iter::repeat_n(seed, args.repeat as usize)) {
        runs += 1;
        let outcome = std::panic::catch_unwind(|| run_seed(seed, args.steps));
        match outcome {
            Ok(Ok(report)) => {
                if args.verbose {
                    println!("{report}");
                }
                if args.trace {
                    for line in &report.trace {
                        println!("    {line}");
                    }
                }
            }
            Ok(Err(failure)) => {
                println!("FAILED {failure}");
                if args.verbose || args.trace {
                    for line in &failure.trace {
                        println!("    {line}");
                    }
                }
                failed.push(seed);
            }
            Err(_) => {
                println!("FAILED seed {seed}: panicked");
                failed.push(seed);
            }
        }
    }
    let passed = runs - failed.len();
    println!(
        "{passed} passed, {} failed ({} steps per run, {:.1?} real time)",
        failed.len(),
        args.steps,
        started.elapsed()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("failing seeds: {failed:?}");
        ExitCode::FAILURE
    }
}
