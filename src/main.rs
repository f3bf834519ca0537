//! The `cartosol` binary: the desktop app (feature `gui`) and the command line.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
