//! Whole `verify-charge` bundles: nothing may panic, and the exit code is
//! always 0, 1 or 2 with output on the matching stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = settlement::cmd::verify_charge(data);
    match out.exit {
        0 | 1 => assert!(!out.stdout.is_empty() && out.stderr.is_empty()),
        2 => assert!(out.stdout.is_empty() && !out.stderr.is_empty()),
        other => panic!("exit code {other}"),
    }
});
