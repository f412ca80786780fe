//! Date and time functions: `timestamp`, `plantimestamp`, `formatdate`, `timeadd`,
//! `timecmp`. Timestamps are RFC 3339 strings, as in Terraform; results keep the offset
//! of their input and print a zero offset as `Z`, as Go's `time.RFC3339` layout does.

use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, TimeDelta, Timelike, Utc};

use super::{FnError, Function, Functions, Param, str_of};
use crate::value::{Number, Type, Value};

fn parse_timestamp(text: &str, index: usize) -> Result<DateTime<FixedOffset>, FnError> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|_| FnError::Arg(index, format!("not a valid RFC3339 timestamp: cannot use {text:?} as year")))
}

/// Go's `Format(time.RFC3339)`: whole seconds unless there is a fraction, `Z` for UTC.
fn format_rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn now() -> Value {
    Value::String(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// A Go duration (`1h30m`, `-1.5h`, `300ms`).
fn parse_duration(text: &str) -> Option<TimeDelta> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(TimeDelta::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        nanos += number * scale;
    }
    if !nanos.is_finite() || nanos.abs() > i64::MAX as f64 {
        return None;
    }
    let delta = TimeDelta::nanoseconds(nanos.round() as i64);
    Some(if negative { -delta } else { delta })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// `formatdate`'s format language: runs of one letter are directives, `'…'` is literal
/// text (`''` a quote), anything else is copied.
fn format_date(format: &str, t: &DateTime<FixedOffset>) -> Result<String, FnError> {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            // Inside a literal `''` is an escaped quote (cty's splitDateFormat), so
            // `'o''clock'` is the text o'clock.
            let open = i;
            i += 1;
            loop {
                match (chars.get(i), chars.get(i + 1)) {
                    // cty takes a literal ending in an escaped quote at the very end as closed.
                    (None, _) if i > open + 2 && chars[i - 1] == '\'' => break,
                    (None, _) => return Err(FnError::Arg(0, "unterminated literal '".to_string())),
                    (Some('\''), Some('\'')) => {
                        out.push('\'');
                        i += 2;
                    }
                    (Some('\''), _) => {
                        i += 1;
                        break;
                    }
                    (Some(&d), _) => {
                        out.push(d);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let verb: String = chars[i..i + run].iter().collect();
        i += run;
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let offset = t.offset().local_minus_utc();
        let (sign, offset) = if offset < 0 { ('-', -offset) } else { ('+', offset) };
        let (oh, om) = (offset / 3600, offset / 60 % 60);
        let text = match verb.as_str() {
            "YYYY" => format!("{:04}", t.year()),
            "YY" => format!("{:02}", t.year().rem_euclid(100)),
            "MMMM" => MONTHS[t.month0() as usize].to_string(),
            "MMM" => MONTHS[t.month0() as usize][..3].to_string(),
            "MM" => format!("{:02}", t.month()),
            "M" => t.month().to_string(),
            "DD" => format!("{:02}", t.day()),
            "D" => t.day().to_string(),
            "EEEE" => DAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            "EEE" => DAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            "hh" => format!("{:02}", t.hour()),
            "h" => t.hour().to_string(),
            "HH" => format!("{hour12:02}"),
            "H" => hour12.to_string(),
            "AA" => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", t.minute()),
            "m" => t.minute().to_string(),
            "ss" => format!("{:02}", t.second()),
            "s" => t.second().to_string(),
            "ZZZZZ" => format!("{sign}{oh:02}:{om:02}"),
            "ZZZZ" => format!("{sign}{oh:02}{om:02}"),
            "ZZZ" if offset == 0 => "UTC".to_string(),
            "ZZZ" => format!("{sign}{oh:02}{om:02}"),
            "Z" if offset == 0 => "Z".to_string(),
            "Z" => format!("{sign}{oh:02}:{om:02}"),
            _ => return Err(FnError::Arg(0, format!("invalid date format verb {verb:?}"))),
        };
        out.push_str(&text);
    }
    Ok(out)
}

pub(super) fn register(functions: &mut Functions) {
    functions.register("timestamp", Function::new(vec![], Type::String, |_, _| Ok(now())));
    // Fixed for a whole plan and the apply of that plan (Terraform 1.5 records it in the plan).
    functions.register(
        "plantimestamp",
        Function::new(vec![], Type::String, |ctx, _| match ctx.scope.plan_timestamp() {
            Some(time) => Ok(Value::String(time)),
            None if ctx.scope.pure_only() => Ok(Value::Unknown(Type::String)),
            None => Ok(now()),
        }),
    );
    functions.register(
        "formatdate",
        Function::new(
            vec![Param::new("format", Type::String), Param::new("time", Type::String)],
            Type::String,
            |_, args| {
                let t = parse_timestamp(str_of(&args[1]), 1)?;
                format_date(str_of(&args[0]), &t).map(Value::String)
            },
        ),
    );
    functions.register(
        "timeadd",
        Function::new(
            vec![Param::new("timestamp", Type::String), Param::new("duration", Type::String)],
            Type::String,
            |_, args| {
                let t = parse_timestamp(str_of(&args[0]), 0)?;
                let text = str_of(&args[1]);
                let delta =
                    parse_duration(text).ok_or_else(|| FnError::Arg(1, format!("time: invalid duration {text:?}")))?;
                let result = t
                    .checked_add_signed(delta)
                    .ok_or_else(|| FnError::Call("the resulting time is out of range".to_string()))?;
                Ok(Value::String(format_rfc3339(&result)))
            },
        ),
    );
    functions.register(
        "timecmp",
        Function::new(
            vec![Param::new("timestamp_a", Type::String), Param::new("timestamp_b", Type::String)],
            Type::Number,
            |_, args| {
                let a = parse_timestamp(str_of(&args[0]), 0)?;
                let b = parse_timestamp(str_of(&args[1]), 1)?;
                Ok(Value::Number(Number::from(a.cmp(&b) as i64)))
            },
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_and_shift_as_terraform() {
        let t = parse_timestamp("2018-01-02T23:12:01Z", 0).unwrap();
        assert_eq!(format_date("DD MMM YYYY hh:mm ZZZ", &t).unwrap(), "02 Jan 2018 23:12 UTC");
        assert_eq!(format_date("EEEE, MMMM D, YYYY 'at' H:mmaa", &t).unwrap(), "Tuesday, January 2, 2018 at 11:12pm");
        assert_eq!(format_date("h'h'mm", &t).unwrap(), "23h12");
        // `''` inside a quoted literal is an escaped quote (Terraform 1.0.3: "11 o'clock").
        assert_eq!(format_date("H 'o''clock'", &t).unwrap(), "11 o'clock");
        assert_eq!(format_date("'''quoted'''", &t).unwrap(), "'quoted'");
        assert!(format_date("'open", &t).is_err());
        assert_eq!(format_date("'a''", &t).unwrap(), "a'");
        assert!(format_date("YYY", &t).is_err());
        let later = t.checked_add_signed(parse_duration("1h30m").unwrap()).unwrap();
        assert_eq!(format_rfc3339(&later), "2018-01-03T00:42:01Z");
        assert_eq!(parse_duration("-1.5h"), Some(TimeDelta::minutes(-90)));
        assert!(parse_duration("10x").is_none());
    }
}
