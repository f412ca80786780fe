//! Reading a `kylin.properties` text back, as Kylin does at start: `key=value` lines
//! (`:` also separates), `#`/`!` comments, escapes undone. Continuation lines are not
//! used by what Corral writes and are read as separate lines.

use std::collections::BTreeMap;

/// The properties of a text; a later line wins over an earlier one, as in Java.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(['=', ':']).unwrap_or(line.len());
        let key = line[..split].trim_end();
        let value = line.get(split + 1..).unwrap_or("").trim_start();
        out.insert(key.to_string(), unescape(value));
    }
    out
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_render_writes() {
        let text = "# c\nkylin.a=1\nkylin.b = x\\\\y\n! bang\nkylin.c:\\ lead\nkylin.a=2\n";
        let p = parse(text);
        assert_eq!(p["kylin.a"], "2");
        assert_eq!(p["kylin.b"], "x\\y");
        assert_eq!(p["kylin.c"], " lead");
        assert_eq!(p.len(), 3);
    }
}
