//! The `courseware` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

// Many small short-lived allocations per request (JSON, rows, headers) across worker
// threads: mimalloc's per-thread free lists cost measurably less CPU than glibc's malloc
// here (bench/progress.sh), and it returns freed memory to the OS sooner.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    courseware::cli::run(courseware::cli::Cli::parse())
}
