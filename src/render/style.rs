//! ANSI colours for human output, applied only when the caller asks for them (a terminal
//! that wants colour); otherwise text passes through unchanged.

#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub(crate) fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    pub(crate) fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    pub(crate) fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    pub(crate) fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }

    /// An action symbol (`+`, `-/+`, `<=` …), each sign in its own colour.
    pub(crate) fn symbol(self, symbol: &str) -> String {
        symbol
            .chars()
            .map(|c| match c {
                '+' => self.green("+"),
                '-' => self.red("-"),
                '~' => self.yellow("~"),
                '<' | '=' => self.cyan(&c.to_string()),
                other => other.to_string(),
            })
            .collect()
    }
}
