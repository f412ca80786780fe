//! A closed stdout or stderr ends `corral` quietly, as it ends `cat` or Terraform.
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe (`corral show --json | head -c 10`) is
//! an error, and `println!` turns that error into a panic (exit 101 with a panic message).
//! Restoring SIGPIPE's default action needs `unsafe` (denied in this workspace), and
//! threading an `io::Result` through every print of every command would miss the next one
//! added; so a panic hook recognises exactly that panic and exits at once with the status a
//! shell shows for a process killed by SIGPIPE (128 + 13). Any other panic is reported by
//! the hook that was there before.

/// What a shell reports for a process ended by SIGPIPE.
pub(crate) const BROKEN_PIPE_EXIT: u8 = 141;

/// Installs the hook. Call first thing in `main`.
pub(crate) fn exit_quietly_on_broken_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if is_broken_pipe_print(message) {
            std::process::exit(i32::from(BROKEN_PIPE_EXIT));
        }
        previous(info);
    }));
}

/// `print!`/`eprint!`'s panic message for a write to a closed pipe: "failed printing to
/// stdout: Broken pipe (os error 32)" (the error text is the C locale's; EPIPE is 32 on
/// Linux, the only platform corral runs on).
fn is_broken_pipe_print(message: &str) -> bool {
    (message.starts_with("failed printing to stdout") || message.starts_with("failed printing to stderr"))
        && message.contains("(os error 32)")
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe_print;

    #[test]
    fn only_a_print_to_a_closed_pipe_is_recognised() {
        assert!(is_broken_pipe_print("failed printing to stdout: Broken pipe (os error 32)"));
        assert!(is_broken_pipe_print("failed printing to stderr: Broken pipe (os error 32)"));
        assert!(!is_broken_pipe_print("failed printing to stdout: No space left on device (os error 28)"));
        assert!(!is_broken_pipe_print("index out of bounds"));
    }
}
