//! Small formatting helpers shared by the human output of several commands.

/// Sizes as a reviewer reads them: bytes below 1 KiB, else KiB/MiB/GiB with one decimal.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// An add-on-controlled string made safe for a terminal: control characters (which could move
/// the cursor or rewrite earlier lines through escape sequences) are shown escaped, and hidden
/// characters (bidi controls, zero-width and other format characters) as `<U+XXXX>` markers.
pub fn printable(s: &str) -> String {
    if !s
        .chars()
        .any(|c| c.is_control() || vetter_text::is_hidden(c))
    {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else if vetter_text::is_hidden(c) {
                vetter_text::marker(c)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes one line to standard output. When the reader has gone (`vetter inspect 1 | head`),
/// the process ends quietly with success, as a Unix tool killed by SIGPIPE would, instead of
/// panicking like `println!`.
pub fn say_line(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}")
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// `println!` through [`say_line`].
#[macro_export]
macro_rules! say {
    () => { $crate::display::say_line("") };
    ($($arg:tt)*) => { $crate::display::say_line(&format!($($arg)*)) };
}

/// `n` and `noun`, with an "s" unless `n` is 1 ("1 version", "2 versions").
pub fn count_of(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_pick_the_largest_whole_unit() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(9_500_000), "9.1 MiB");
        assert_eq!(human_bytes(5 << 40), "5120.0 GiB");
    }

    #[test]
    fn escape_sequences_are_neutralised() {
        assert_eq!(printable("uBlock Origin"), "uBlock Origin");
        assert_eq!(printable("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
    }

    #[test]
    fn hidden_characters_in_names_are_drawn_as_markers() {
        assert_eq!(printable("pay\u{200B}ment.js"), "pay<U+200B>ment.js");
        assert_eq!(printable("txt.\u{202E}sj"), "txt.<U+202E>sj");
    }
}
