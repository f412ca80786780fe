//! Terraform's command-line habits, turned into Corral's argv before clap sees it, so that a
//! pipeline written for `terraform` runs with only the program name changed:
//!
//! - `TF_CLI_ARGS` / `CORRAL_CLI_ARGS` and `TF_CLI_ARGS_<command>` / `CORRAL_CLI_ARGS_<command>`
//!   add arguments (shell-words rules) right after the command word, as Terraform's
//!   `mergeEnvArgs` does;
//! - single-dash long flags (`-auto-approve`, `-var k=v`, `-out=tfplan`, `-chdir=DIR`) become
//!   their `--` form when they name a long option of the command, read from clap's own
//!   definition, so no list here has to follow the flags; short flags (`-C`) are untouched.

use std::ffi::OsString;

/// The environment variables adding arguments to every command. Terraform inserts
/// `TF_CLI_ARGS`, then `TF_CLI_ARGS_<command>`, each right after the command word, so the
/// result reads: command, its own env arguments, the general ones, the typed ones. Corral's
/// variables follow Terraform's of the same kind (a later single-valued flag wins).
const ENV_NAMES: [&str; 2] = ["TF_CLI_ARGS", "CORRAL_CLI_ARGS"];

/// `argv` (program name first) with the environment's extra arguments and Terraform's flag
/// spellings turned into Corral's. `cli` is the whole clap command.
pub(crate) fn rewrite(argv: Vec<OsString>, cli: &clap::Command) -> Result<Vec<OsString>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    rewrite_with(argv, cli, &env)
}

fn rewrite_with(
    argv: Vec<OsString>,
    cli: &clap::Command,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<OsString>, String> {
    let mut args = argv;
    let path = command_path(&args, cli);
    // Corral's own hidden entries (`__provider`, which serves a plugin for a parent that may
    // have `TF_CLI_ARGS=-input=false` in its environment) are not typed by people.
    let hidden = |name: &str| cli.find_subcommand(name).is_some_and(|c| c.is_hide_set());
    if path.first().is_some_and(|(_, name)| hidden(name)) {
        return Ok(args);
    }
    if let Some(&(last_index, _)) = path.last() {
        let suffix = path.iter().map(|(_, name)| name.replace('-', "_")).collect::<Vec<_>>().join("_");
        let names = [format!("TF_CLI_ARGS_{suffix}"), format!("CORRAL_CLI_ARGS_{suffix}")]
            .into_iter()
            .chain(ENV_NAMES.iter().map(|n| n.to_string()));
        let mut extra = Vec::new();
        for name in names {
            let Some(value) = env(&name) else { continue };
            let words = shell_words::split(&value)
                .map_err(|e| format!("cannot read extra command-line arguments from {name}: {e}\n\nValue: {value}"))?;
            extra.extend(words.into_iter().map(OsString::from));
        }
        let at = last_index + 1;
        args.splice(at..at, extra);
    }
    Ok(respell(args, cli))
}

/// The command words in `args` with their indexes (`["state", "mv"]`), skipping the global
/// options before them.
fn command_path(args: &[OsString], cli: &clap::Command) -> Vec<(usize, String)> {
    let mut path = Vec::new();
    let mut command = cli;
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else { break };
        if arg == "--" {
            break;
        }
        if arg.starts_with('-') {
            // A global option before the command; skip its value when it takes one apart.
            if takes_separate_value(arg, cli) {
                i += 1;
            }
            i += 1;
            continue;
        }
        match command.find_subcommand(arg) {
            Some(sub) => {
                path.push((i, sub.get_name().to_string()));
                command = sub;
                if !command.has_subcommands() {
                    break;
                }
            }
            None => break,
        }
        i += 1;
    }
    path
}

/// Whether `arg` names an option (of `command` or a global one) whose value follows as the
/// next argument.
fn takes_separate_value(arg: &str, command: &clap::Command) -> bool {
    if arg.contains('=') {
        return false;
    }
    let name = arg.trim_start_matches('-');
    command.get_arguments().any(|a| {
        let named = if arg.starts_with("--") || name.len() > 1 {
            a.get_long() == Some(name)
        } else {
            a.get_short().is_some_and(|s| name.starts_with(s))
        };
        named && a.get_action().takes_values() && a.get_num_args().is_none_or(|n| n.min_values() > 0)
    })
}

/// Single-dash long options (`-out=x`, `-auto-approve`) as `--out=x`, `--auto-approve`, for
/// the options of the command being run (and the global ones), up to a `--`.
fn respell(args: Vec<OsString>, cli: &clap::Command) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut command = cli;
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut skip_value = false;
    let mut rest = false;
    for arg in iter {
        if rest || skip_value {
            skip_value = false;
            out.push(arg);
            continue;
        }
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest = true;
            out.push(arg);
            continue;
        }
        if !text.starts_with('-') {
            if let Some(sub) = command.find_subcommand(text) {
                command = sub;
            }
            out.push(arg);
            continue;
        }
        let respelled = match text.strip_prefix('-') {
            Some(body) if !body.starts_with('-') && (is_long(body, command, cli) || is_unknown(body, command, cli)) => {
                format!("-{text}")
            }
            _ => text.to_string(),
        };
        skip_value = takes_separate_value(&respelled, command) || takes_separate_value(&respelled, cli);
        match switch_value(&respelled, command, cli) {
            Some(true) => out.push(OsString::from(respelled.split_once('=').map_or(&*respelled, |(flag, _)| flag))),
            Some(false) => {}
            None => out.push(OsString::from(respelled)),
        }
    }
    out
}

/// Whether `body` (a flag without its dash, perhaps with `=value`) names a long option of
/// `command` or a global one of `cli`. One letter is a short flag, never a long one.
fn is_long(body: &str, command: &clap::Command, cli: &clap::Command) -> bool {
    let name = body.split_once('=').map_or(body, |(name, _)| name);
    if name.chars().count() < 2 {
        return false;
    }
    let named = |c: &clap::Command| c.get_arguments().any(|a| a.get_long() == Some(name));
    named(command) || cli.get_arguments().any(|a| a.is_global_set() && a.get_long() == Some(name))
}

/// For `--switch=true` / `--switch=false` where the switch takes no value in Corral
/// (`-auto-approve=true`, `-destroy=false`: Go's flag package accepts both), the value given.
fn switch_value(arg: &str, command: &clap::Command, cli: &clap::Command) -> Option<bool> {
    let (name, value) = arg.strip_prefix("--")?.split_once('=')?;
    let value = value.parse::<bool>().ok()?;
    let switch = |a: &clap::Arg| a.get_long() == Some(name) && matches!(a.get_action(), clap::ArgAction::SetTrue);
    (command.get_arguments().any(switch) || cli.get_arguments().any(|a| a.is_global_set() && switch(a)))
        .then_some(value)
}

/// Whether `body` is a Terraform-style flag Corral does not have (`-no-such-flag`): several
/// letters, the first no short flag. Given two dashes, clap names it whole in its error,
/// instead of complaining about `-n`.
fn is_unknown(body: &str, command: &clap::Command, cli: &clap::Command) -> bool {
    let mut chars = body.chars();
    let (Some(first), Some(second)) = (chars.next(), chars.next()) else { return false };
    let short = |c: &clap::Command| c.get_arguments().any(|a| a.get_short() == Some(first));
    first.is_ascii_alphabetic() && second != '=' && !short(command) && !short(cli)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
        let argv = std::iter::once("corral").chain(args.iter().copied()).map(OsString::from).collect();
        let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        let out = rewrite_with(argv, &crate::args::Cli::command(), &lookup).unwrap();
        out.into_iter().skip(1).map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn single_dash_long_flags_of_the_command_get_two_dashes() {
        assert_eq!(
            run(&["-chdir=infra", "plan", "-out=tfplan", "-var", "env=-x", "-input=false", "-C", "d"], &[]),
            ["--chdir=infra", "plan", "--out=tfplan", "--var", "env=-x", "--input=false", "-C", "d"]
        );
        // `-json` is an option of `show`; `-raw` is not, and is spelled so that clap's error
        // names it whole. `-Cdir` is `-C dir`.
        assert_eq!(run(&["show", "-json", "-raw", "--", "-json"], &[]), ["show", "--json", "--raw", "--", "-json"]);
        assert_eq!(run(&["-Cdir", "plan", "-5"], &[]), ["-Cdir", "plan", "-5"]);
        assert_eq!(run(&["state", "push", "-force", "f"], &[]), ["state", "push", "--force", "f"]);
        assert_eq!(run(&["fmt", "-r", "-check"], &[]), ["fmt", "-r", "--check"]);
        assert_eq!(
            run(&["apply", "-auto-approve=true", "-destroy=false", "-no-color=true", "-refresh=false"], &[]),
            ["apply", "--auto-approve", "--no-color", "--refresh=false"]
        );
    }

    #[test]
    fn environment_arguments_go_right_after_the_command_word() {
        let env = [("TF_CLI_ARGS", "-no-color"), ("TF_CLI_ARGS_plan", "-var 'env=a b'"), ("TF_CLI_ARGS_apply", "-x")];
        assert_eq!(
            run(&["-C", "d", "plan", "-json"], &env),
            ["-C", "d", "plan", "--var", "env=a b", "--no-color", "--json"]
        );
        let env = [("TF_CLI_ARGS", "-input=false")];
        assert_eq!(run(&["__provider", "kmr"], &env), ["__provider", "kmr"]);
        let env = [("CORRAL_CLI_ARGS_state_mv", "-lock-timeout=1s")];
        assert_eq!(run(&["state", "mv", "a", "b"], &env), ["state", "mv", "--lock-timeout=1s", "a", "b"]);
    }
}
