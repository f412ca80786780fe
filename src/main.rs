//! The `corral` command line: parse arguments, resolve settings, run one command, and turn
//! its result into an exit code (0 success, 1 error, 2 "changes present" for
//! `plan --detailed-exitcode`, as Terraform's).

mod args;
mod backend;
mod commands;
mod context;
mod diagnostic_report;
mod interrupt;
mod json_schema;
mod modules;
mod pipe;
mod plugins;
mod progress;
mod promote;
mod reconcile;
mod recovery;
mod render;
mod tf_argv;
mod ui;
mod variables;

use std::process::ExitCode;

// Planning is allocation-bound (values are trees of small maps and strings), and glibc's
// malloc was most of a 10k-instance plan's profile; mimalloc halves it. Without huge pages:
// zeroing and compacting 2 MiB pages showed up as long, random stalls in system time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, FromArgMatches};

use crate::args::{Cli, Command};
use crate::context::Context;
use crate::ui::Reported;

fn main() -> ExitCode {
    pipe::exit_quietly_on_broken_pipe();
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    if let Command::ServeProvider(args) = &cli.command {
        // A plugin process: its own runtime and its own logging (plain lines for the host).
        return plugins::serve_compiled_in(&args.name);
    }
    init_tracing();
    let _plugins = PluginsEnd;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // Providers may leave background tasks (sleeps, servers); don't wait for them.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) if e.is::<Reported>() => ExitCode::from(1),
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::from(pipe::BROKEN_PIPE_EXIT);
            }
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Ends the plugin processes this run started, however `main` ends (a return, or a panic
/// unwinding through it): each is told the host is done, reaped, and its socket directory
/// removed, so none outlives `corral`.
struct PluginsEnd;

impl Drop for PluginsEnd {
    fn drop(&mut self) {
        corral_provider_protocol::shutdown_plugins();
    }
}

/// The command line, with Terraform's spellings and `TF_CLI_ARGS`-style extra arguments
/// taken in (see `tf_argv`); clap prints its own errors, help and version.
fn parse_cli() -> Result<Cli, ExitCode> {
    let mut command = Cli::command();
    let argv = match tf_argv::rewrite(std::env::args_os().collect(), &command) {
        Ok(argv) => argv,
        Err(e) => {
            eprintln!("Error: {e}");
            return Err(ExitCode::from(1));
        }
    };
    let matches = command.try_get_matches_from_mut(argv).and_then(|m| Cli::from_arg_matches(&m));
    match matches {
        Ok(cli) => Ok(cli),
        Err(e) => {
            let e = e.format(&mut command);
            let _ = e.print();
            Err(ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)))
        }
    }
}

/// Logs go to stderr, filtered by `CORRAL_LOG` (e.g. `debug`, `corral_engine=trace`), else by
/// Terraform's `TF_LOG` (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`; any other value is
/// `TRACE`, as Terraform takes it).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CORRAL_LOG")
        .ok()
        .or_else(|| {
            let level = std::env::var("TF_LOG").ok().filter(|v| !v.is_empty())?;
            let level = match level.to_ascii_uppercase().as_str() {
                "DEBUG" => "debug",
                "INFO" => "info",
                "WARN" => "warn",
                "ERROR" => "error",
                "OFF" => "off",
                _ => "trace",
            };
            Some(tracing_subscriber::EnvFilter::new(level))
        })
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new("warn"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

async fn run(cli: Cli) -> anyhow::Result<i32> {
    // `-C DIR` (Terraform's `-chdir`) changes the process's directory, as Terraform does, so
    // `path.cwd`, `file()`, `fileset()`, the paths shown and the files given on the command
    // line all behave as if Corral had been started there.
    if let Some(dir) = &cli.chdir {
        if let Ok(start) = std::env::current_dir() {
            context::record_start_dir(start);
        }
        std::env::set_current_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot change to the directory `{}` given with -C: {e}", dir.display()))?;
    }
    let chdir = None;
    match &cli.command {
        Command::Init(args) => {
            commands::init::run(&Context::new(chdir, args.dir.as_deref(), cli.no_color)?, args).await
        }
        Command::Validate(args) => {
            commands::validate::run(&Context::new(chdir, args.dir.as_deref(), cli.no_color)?, args)
        }
        Command::Plan(args) => {
            commands::plan::run(&Context::new(chdir, args.dir.as_deref(), cli.no_color)?, args).await
        }
        Command::Apply(args) => commands::apply::run(chdir, cli.no_color, args, false).await,
        Command::Destroy(args) => commands::apply::run(chdir, cli.no_color, args, true).await,
        Command::Refresh(args) => commands::apply::run(chdir, cli.no_color, &args.to_apply(), false).await,
        Command::Import(args) => commands::import::run(&Context::new(chdir, None, cli.no_color)?, args).await,
        Command::Taint(args) => commands::taint::run(&Context::new(chdir, None, cli.no_color)?, args, true).await,
        Command::Untaint(args) => commands::taint::run(&Context::new(chdir, None, cli.no_color)?, args, false).await,
        Command::Graph(args) => commands::graph::run(&Context::new(chdir, args.dir.as_deref(), cli.no_color)?),
        Command::Show(args) => commands::show::run(&Context::new(chdir, None, cli.no_color)?, args).await,
        Command::Output(args) => commands::output::run(&Context::new(chdir, None, cli.no_color)?, args).await,
        Command::State(command) => commands::state::run(&Context::new(chdir, None, cli.no_color)?, command).await,
        Command::Workspace(command) => {
            commands::workspace::run(&Context::new(chdir, None, cli.no_color)?, command).await
        }
        Command::Fmt(args) => commands::fmt::run(chdir, cli.no_color, args),
        Command::Console(args) => {
            commands::console::run(&Context::new(chdir, args.dir.as_deref(), cli.no_color)?, args).await
        }
        Command::Sandbox(command) => commands::sandbox::run(&Context::new(chdir, None, cli.no_color)?, command).await,
        Command::ForceUnlock(args) => {
            commands::lock::force_unlock(&Context::new(chdir, None, cli.no_color)?, args).await
        }
        Command::Lock(command) => commands::lock::run(&Context::new(chdir, None, cli.no_color)?, command).await,
        Command::Providers(args) => commands::providers::run(&Context::new(chdir, None, cli.no_color)?, args).await,
        Command::Reconcile(args) => commands::reconcile::run(chdir, args).await,
        Command::Promote(args) => commands::promote::run(chdir, args).await,
        Command::Completion(args) => {
            let mut command = Cli::command();
            clap_complete::generate(args.shell, &mut command, "corral", &mut std::io::stdout());
            Ok(0)
        }
        Command::Version(args) => commands::version::run(args),
        Command::ServeProvider(_) => Ok(0),
    }
}
