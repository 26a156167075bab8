//! The `courseware` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    courseware::cli::run(courseware::cli::Cli::parse())
}
