//! What the commands print: one line a check, marked, coloured on a terminal only.

use std::io::Write as _;

use anstyle::{AnsiColor, Style};

/// How a check went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// It holds.
    Pass,
    /// It does not: this is why.
    Fail,
    /// Worth a look, not a refusal.
    Warn,
    /// What was found, nothing judged.
    Info,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Self::Pass => "ok  ",
            Self::Fail => "FAIL",
            Self::Warn => "warn",
            Self::Info => "    ",
        }
    }

    fn style(self) -> Style {
        let color = match self {
            Self::Pass => AnsiColor::Green,
            Self::Fail => AnsiColor::Red,
            Self::Warn => AnsiColor::Yellow,
            Self::Info => AnsiColor::BrightBlack,
        };
        Style::new().fg_color(Some(color.into())).bold()
    }
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`).
fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> =
                if c.is_control() { c.escape_default().collect() } else { vec![c] };
            escaped
        })
        .collect()
}

/// Writes the report to standard output (colours stripped when it is not a terminal, or with
/// `NO_COLOR`).
pub(crate) struct Report {
    out: anstream::AutoStream<std::io::Stdout>,
    failures: usize,
}

impl Report {
    pub(crate) fn stdout() -> Self {
        Self { out: anstream::AutoStream::auto(std::io::stdout()), failures: 0 }
    }

    /// A heading: what comes next is about `title`.
    pub(crate) fn heading(&mut self, title: &str) {
        let bold = Style::new().bold();
        let _ = writeln!(self.out, "\n{bold}{title}{bold:#}");
    }

    /// One check: `mark`, its `name`, and what was found. Control characters in what was
    /// found (it may come from a token or a document anyone wrote) are escaped, so that it
    /// can neither start a line of its own nor drive the terminal.
    pub(crate) fn check(&mut self, mark: Mark, name: &str, found: &str) {
        if mark == Mark::Fail {
            self.failures += 1;
        }
        let style = mark.style();
        let found = printable(found);
        let _ = writeln!(self.out, "  {style}{}{style:#}  {name:<14} {found}", mark.symbol());
    }

    /// A line of plain text.
    pub(crate) fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    /// A problem that stops the command, on standard error.
    pub(crate) fn problem(&mut self, text: &str) {
        let style = Mark::Fail.style();
        let mut err = anstream::stderr();
        let _ = writeln!(err, "{style}error{style:#}: {}", printable(text));
    }

    /// How many checks failed so far.
    pub(crate) fn failures(&self) -> usize {
        self.failures
    }
}
