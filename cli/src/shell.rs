//! Shell completions and the man page, generated from the same clap definition as the parser so
//! they can never describe options the binary does not have.

use std::process::ExitCode;

use clap::{CommandFactory, ValueEnum};

use crate::{Cli, Failure};

/// The shells `lockkeeper completions` writes a script for.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script for `shell` to stdout.
pub(crate) fn completions(shell: Shell) -> Result<ExitCode, Failure> {
    let mut cmd = Cli::command();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Generated into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(generator, &mut cmd, "lockkeeper", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// Writes the man page (roff) to stdout, or, given a directory, one page per command there
/// (`lockkeeper.1`, `lockkeeper-authorize.1`, ...: the main page refers to them).
pub(crate) fn manpage(dir: Option<&str>) -> Result<ExitCode, Failure> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
            .map_err(|e| Failure(format!("error: cannot write the man pages to {dir}: {e}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Failure(format!("error: cannot render the man page: {e}")))?;
    out!("{}", String::from_utf8_lossy(&page));
    Ok(ExitCode::SUCCESS)
}
