//! The `vae` command.

mod args;
mod commands;
mod device;

use std::process::ExitCode;

use clap::Parser;

/// A command stopped early at the user's request (Ctrl-C); exits with 130 like a shell does.
#[derive(Debug)]
struct Interrupted(String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// `vae info | head` closes stdout early, and `println!` panics on the broken pipe. Exit quietly
/// instead, as a shell tool killed by SIGPIPE would (status 141); other panics report as usual.
fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Train(a) => commands::train::run(a),
        args::Command::Eval(a) => commands::eval::run(a),
        args::Command::Info(a) => commands::info::run(a),
        args::Command::Sample(a) => commands::pictures::sample(a),
        args::Command::Reconstruct(a) => commands::pictures::reconstruct(a),
        args::Command::Interpolate(a) => commands::pictures::interpolate(a),
        args::Command::Traverse(a) => commands::pictures::traverse(a),
        args::Command::LatentMap(a) => commands::charts::latent_map(a),
        args::Command::Plot(a) => commands::charts::plot(a),
        args::Command::Encode(a) => commands::codes::encode(a),
        args::Command::Decode(a) => commands::codes::decode(a),
        args::Command::Rd(a) => commands::codes::rd(a),
        args::Command::Compress(a) => commands::lossless::compress(a),
        args::Command::Decompress(a) => commands::lossless::decompress(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is::<Interrupted>() => {
            eprintln!("{error}");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
