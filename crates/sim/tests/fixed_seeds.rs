//! The seeds CI runs: each is a full random scenario (faults, proposals, stabilisation) on a
//! paused clock, a few seconds of real time at most.

use quarry_sim::run_seed;

fn run(seed: u64) {
    match run_seed(seed, 120) {
        Ok(report) => {
            println!("{report}");
            assert!(report.terms_with_master >= 1);
        }
        Err(failure) => {
            for line in &failure.trace {
                eprintln!("{line}");
            }
            panic!("{failure}");
        }
    }
}

#[test]
fn seed_0() {
    run(0);
}

#[test]
fn seed_1() {
    run(1);
}

#[test]
fn seed_2() {
    run(2);
}

#[test]
fn seed_3() {
    run(3);
}

#[test]
fn seed_4() {
    run(4);
}

#[test]
fn seed_5() {
    run(5);
}

#[test]
fn seed_6() {
    run(6);
}

#[test]
fn seed_7() {
    run(7);
}
