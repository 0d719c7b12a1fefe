//! `ztguard completions SHELL` and `ztguard man [COMMAND]`: shell
//! completions and man pages generated from the CLI definition itself, so
//! they never drift from `--help`. Both print to stdout; nothing is written.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::CommandFactory;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  ztguard completions bash > ~/.local/share/bash-completion/completions/ztguard
  ztguard completions zsh > ~/.zfunc/_ztguard
  ztguard completions fish > ~/.config/fish/completions/ztguard.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  ztguard man | man -l -                     # read the main page
  ztguard man scan > ztguard-scan.1          # the page of one command
  ztguard man audit verify | man -l -")]
pub struct ManArgs {
    /// The command whose page to print (`scan`, `audit verify`); default: ztguard itself.
    command: Vec<String>,
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "ztguard", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::Cli::command();
    cmd.build();
    // Once built, each command knows its display name (`ztguard-scan`).
    for part in &args.command {
        let Some(sub) = cmd.find_subcommand(part).cloned() else {
            let name = cmd.get_bin_name().unwrap_or("ztguard").to_string();
            bail!("`{name}` has no command `{part}` (see `{name} --help`)");
        };
        cmd = sub.version(env!("CARGO_PKG_VERSION"));
    }
    clap_mangen::Man::new(cmd)
        .render(&mut std::io::stdout())
        .context("cannot write the man page")?;
    Ok(ExitCode::SUCCESS)
}
