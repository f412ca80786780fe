//! String functions: `format`, `join`, `split`, `replace` (plain or `/regex/`), `regex`,
//! `substr` (on grapheme clusters, as Terraform's), trimming, case, and friends.

use bigdecimal::num_bigint::BigInt;
use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

use super::{FnError, Function, Functions, Param, check_string, int_of, items_of, str_of};
use crate::value::{Number, Type, Value};

fn string_fn(name: &'static str, f: fn(&str) -> String) -> Function {
    let _ = name;
    Function::new(vec![Param::new("str", Type::String)], Type::String, move |_, args| {
        Ok(Value::String(f(str_of(&args[0]))))
    })
}

pub(super) fn register(functions: &mut Functions) {
    functions.register("upper", string_fn("upper", str::to_uppercase));
    functions.register("lower", string_fn("lower", str::to_lowercase));
    functions.register("title", string_fn("title", title));
    functions.register("trimspace", string_fn("trimspace", |s| s.trim().to_string()));
    functions.register("strrev", string_fn("strrev", |s| s.graphemes(true).rev().collect()));
    functions.register("chomp", string_fn("chomp", |s| s.trim_end_matches(['\n', '\r']).to_string()));
    functions.register(
        "indent",
        Function::new(
            vec![Param::new("spaces", Type::Number), Param::new("str", Type::String)],
            Type::String,
            |_, args| {
                let spaces = int_of(&args[0], 0)?.max(0) as usize;
                let text = str_of(&args[1]);
                let lines = text.bytes().filter(|&b| b == b'\n').count() as u128;
                check_string(text.len() as u128 + lines * spaces as u128)?;
                let pad = format!("\n{}", " ".repeat(spaces));
                Ok(Value::String(str_of(&args[1]).replace('\n', &pad)))
            },
        ),
    );
    let two_strings = |a: &'static str, b: &'static str| vec![Param::new(a, Type::String), Param::new(b, Type::String)];
    functions.register(
        "trim",
        Function::new(two_strings("str", "cutset"), Type::String, |_, args| {
            let cutset: Vec<char> = str_of(&args[1]).chars().collect();
            Ok(Value::String(str_of(&args[0]).trim_matches(cutset.as_slice()).to_string()))
        }),
    );
    functions.register(
        "trimprefix",
        Function::new(two_strings("str", "prefix"), Type::String, |_, args| {
            let s = str_of(&args[0]);
            Ok(Value::String(s.strip_prefix(str_of(&args[1])).unwrap_or(s).to_string()))
        }),
    );
    functions.register(
        "trimsuffix",
        Function::new(two_strings("str", "suffix"), Type::String, |_, args| {
            let s = str_of(&args[0]);
            Ok(Value::String(s.strip_suffix(str_of(&args[1])).unwrap_or(s).to_string()))
        }),
    );
    functions.register(
        "startswith",
        Function::new(two_strings("str", "prefix"), Type::Bool, |_, args| {
            Ok(Value::Bool(str_of(&args[0]).starts_with(str_of(&args[1]))))
        }),
    );
    functions.register(
        "endswith",
        Function::new(two_strings("str", "suffix"), Type::Bool, |_, args| {
            Ok(Value::Bool(str_of(&args[0]).ends_with(str_of(&args[1]))))
        }),
    );
    functions.register(
        "strcontains",
        Function::new(two_strings("str", "substr"), Type::Bool, |_, args| {
            Ok(Value::Bool(str_of(&args[0]).contains(str_of(&args[1]))))
        }),
    );
    functions.register(
        "split",
        Function::new(two_strings("separator", "str"), Type::list(Type::String), |_, args| {
            let (sep, s) = (str_of(&args[0]), str_of(&args[1]));
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(Value::from).collect()
            };
            Ok(Value::List(Type::String, parts))
        }),
    );
    functions.register(
        "join",
        Function::new(vec![Param::new("separator", Type::String)], Type::String, |_, args| {
            let sep = str_of(&args[0]).to_string();
            let mut parts = Vec::new();
            for (i, list) in args.iter().enumerate().skip(1) {
                for item in items_of(list) {
                    match item.as_str() {
                        Some(s) => parts.push(s.to_string()),
                        None => {
                            return Err(FnError::Arg(
                                i,
                                format!("element {} is null; cannot concatenate null values", parts.len()),
                            ));
                        }
                    }
                }
            }
            if args.len() < 2 {
                return Err(FnError::Call("at least one list is required".to_string()));
            }
            let total: u128 = parts.iter().map(|p| p.len() as u128).sum::<u128>()
                + (parts.len().saturating_sub(1) as u128) * sep.len() as u128;
            check_string(total)?;
            Ok(Value::String(parts.join(&sep)))
        })
        .variadic(Param::new("lists", Type::list(Type::String))),
    );
    functions.register(
        "replace",
        Function::new(
            vec![
                Param::new("str", Type::String),
                Param::new("substr", Type::String),
                Param::new("replace", Type::String),
            ],
            Type::String,
            |_, args| {
                let (s, substr, replacement) = (str_of(&args[0]), str_of(&args[1]), str_of(&args[2]));
                if substr.len() > 1 && substr.starts_with('/') && substr.ends_with('/') {
                    let re = Regex::new(&substr[1..substr.len() - 1])
                        .map_err(|e| FnError::Call(format!("error parsing regexp: {}", regex_error(&e))))?;
                    Ok(Value::String(re.replace_all(s, replacement).into_owned()))
                } else {
                    // An empty substring matches between every two characters.
                    let matches =
                        if substr.is_empty() { s.chars().count() + 1 } else { s.matches(substr).count() } as u128;
                    check_string(s.len() as u128 + matches * replacement.len() as u128)?;
                    Ok(Value::String(s.replace(substr, replacement)))
                }
            },
        ),
    );
    functions.register(
        "regex",
        Function::new(two_strings("pattern", "string"), Type::Dynamic, |_, args| {
            let re = compile(str_of(&args[0]))?;
            let captures = re
                .captures(str_of(&args[1]))
                .ok_or_else(|| FnError::Call("pattern did not match any part of the given string".to_string()))?;
            Ok(capture_value(&re, &captures))
        }),
    );
    functions.register(
        "regexall",
        Function::new(two_strings("pattern", "string"), Type::list(Type::Dynamic), |_, args| {
            let re = compile(str_of(&args[0]))?;
            let matches: Vec<Value> =
                re.captures_iter(str_of(&args[1])).map(|captures| capture_value(&re, &captures)).collect();
            let elem = matches.first().map(Value::ty).unwrap_or(match re.captures_len() {
                1 => Type::String,
                _ => Type::Dynamic,
            });
            Ok(Value::List(elem, matches))
        }),
    );
    functions.register(
        "substr",
        Function::new(
            vec![
                Param::new("str", Type::String),
                Param::new("offset", Type::Number),
                Param::new("length", Type::Number),
            ],
            Type::String,
            |_, args| {
                let graphemes: Vec<&str> = str_of(&args[0]).graphemes(true).collect();
                let len = graphemes.len() as i64;
                let mut offset = int_of(&args[1], 1)?;
                let length = int_of(&args[2], 2)?;
                if offset < 0 {
                    offset = (len + offset).max(0);
                }
                if offset >= len {
                    return Ok(Value::string(""));
                }
                let end = if length < 0 { len } else { (offset + length).min(len) };
                Ok(Value::String(graphemes[offset as usize..end as usize].concat()))
            },
        ),
    );
    functions.register(
        "length",
        Function::new(vec![Param::new("value", Type::Dynamic)], Type::Number, |_, args| {
            let value = &args[0];
            let n = match value.unmarked() {
                Value::Unknown(_) => return Ok(Value::Unknown(Type::Number)),
                Value::String(s) => s.graphemes(true).count(),
                Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => items.len(),
                Value::Map(_, items) | Value::Object(items) => items.len(),
                _ => {
                    return Err(FnError::Call(
                        "argument must be a string, a collection type, or a structural type".to_string(),
                    ));
                }
            };
            Ok(Value::Number(Number::from(n as i64)))
        })
        .handles_unknown(),
    );
    functions.register(
        "format",
        Function::new(vec![Param::new("format", Type::String)], Type::String, |_, args| {
            let (format, rest) = args.split_first().map(|(f, r)| (str_of(f).to_string(), r)).unwrap_or_default();
            format_values(&format, rest).map(Value::String)
        })
        .variadic(Param::nullable("args", Type::Dynamic)),
    );
    functions.register(
        "formatlist",
        Function::new(vec![Param::new("format", Type::String)], Type::list(Type::String), |_, args| {
            let (format, rest) = args.split_first().map(|(f, r)| (str_of(f).to_string(), r)).unwrap_or_default();
            let mut length: Option<(usize, usize)> = None;
            for (i, arg) in rest.iter().enumerate() {
                if let Some(items) = arg.as_seq() {
                    match length {
                        Some((n, j)) if n != items.len() => {
                            return Err(FnError::Arg(
                                i + 1,
                                format!(
                                    "argument {} has length {}, which is inconsistent with argument {j} of length {n}",
                                    i + 1,
                                    items.len()
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => length = Some((items.len(), i + 1)),
                    }
                }
            }
            let n = length.map(|l| l.0).unwrap_or(1);
            let mut out = Vec::with_capacity(n);
            let mut total = 0u128;
            for row in 0..n {
                let row_args: Vec<Value> = rest
                    .iter()
                    .map(|arg| match arg.as_seq() {
                        Some(items) => items[row].clone(),
                        None => arg.clone(),
                    })
                    .collect();
                let text = format_values(&format, &row_args)?;
                // The list's text as a whole is held to the string limit: n copies of a
                // wide format would otherwise multiply it.
                total += text.len() as u128;
                check_string(total)?;
                out.push(Value::String(text));
            }
            Ok(Value::List(Type::String, out))
        })
        .variadic(Param::nullable("args", Type::Dynamic)),
    );
}

/// Go's `strings.Title`: the first letter of each word upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_is_word = false;
    for c in s.chars() {
        if previous_is_word {
            out.push(c);
        } else {
            out.extend(c.to_uppercase());
        }
        previous_is_word = c.is_alphanumeric() || c == '_';
    }
    out
}

fn compile(pattern: &str) -> Result<Regex, FnError> {
    Regex::new(pattern).map_err(|e| FnError::Arg(0, format!("invalid regexp pattern: {}", regex_error(&e))))
}

/// The last line of the regex crate's multi-line message says what is wrong.
fn regex_error(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(&text).trim().trim_start_matches("error: ").to_string()
}

/// What `regex` returns for one match: the match without groups, a tuple of unnamed
/// groups, or an object of named ones.
fn capture_value(re: &Regex, captures: &regex::Captures<'_>) -> Value {
    let text = |m: Option<regex::Match<'_>>| m.map(|m| Value::string(m.as_str())).unwrap_or(Value::Null(Type::String));
    if re.captures_len() == 1 {
        return text(captures.get(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) {
        Value::Object(
            names
                .iter()
                .enumerate()
                .filter_map(|(i, name)| name.map(|n| (n.to_string(), text(captures.get(i + 1)))))
                .collect(),
        )
    } else {
        Value::Tuple((1..re.captures_len()).map(|i| text(captures.get(i))).collect())
    }
}

/// One `%...` verb of a format string.
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
    verb: char,
}

/// Terraform's `format`: Go's `fmt` verbs applied to language values.
pub(crate) fn format_values(format: &str, args: &[Value]) -> Result<String, FnError> {
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut used = 0usize;
    let chars: Vec<(usize, char)> = format.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut spec = Spec {
            minus: false,
            plus: false,
            zero: false,
            space: false,
            sharp: false,
            width: None,
            precision: None,
            verb: '%',
        };
        while let Some(&(_, f)) = chars.get(i) {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if let Some(&(_, '[')) = chars.get(i) {
            let close = chars[i..].iter().position(|&(_, c)| c == ']').map(|p| i + p);
            if let Some(close) = close {
                let text: String = chars[i + 1..close].iter().map(|&(_, c)| c).collect();
                if let Ok(n) = text.parse::<usize>() {
                    next_arg = n.saturating_sub(1);
                }
                i = close + 1;
            }
        }
        let mut digits = String::new();
        while let Some(&(_, d)) = chars.get(i).filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(d);
            i += 1;
        }
        spec.width = digits.parse().ok();
        if let Some(width) = spec.width {
            check_string(width as u128)?;
        }
        if let Some(&(_, '.')) = chars.get(i) {
            i += 1;
            let mut digits = String::new();
            while let Some(&(_, d)) = chars.get(i).filter(|(_, d)| d.is_ascii_digit()) {
                digits.push(d);
                i += 1;
            }
            let precision = digits.parse().unwrap_or(usize::MAX);
            // A precision pads numbers with that many digits.
            check_string(precision as u128)?;
            spec.precision = Some(precision);
        }
        let Some(&(_, verb)) = chars.get(i) else {
            return Err(FnError::Call(format!("invalid format string starting at offset {pos}")));
        };
        i += 1;
        spec.verb = verb;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            return Err(FnError::Call(format!(
                "not enough arguments for \"%{verb}\" at {pos}: need index {} but have {} total",
                next_arg + 1,
                args.len()
            )));
        };
        next_arg += 1;
        used = used.max(next_arg);
        let text = format_one(&spec, arg)
            .map_err(|message| FnError::Call(format!("unsupported value for \"%{verb}\" at {pos}: {message}")))?;
        out.push_str(&pad(&spec, text));
        check_string(out.len() as u128)?;
    }
    if used < args.len() {
        return Err(FnError::Arg(used + 1, format!("too many arguments; only {used} used by format string")));
    }
    Ok(out)
}

fn pad(spec: &Spec, text: String) -> String {
    let Some(width) = spec.width else { return text };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && matches!(spec.verb, 'd' | 'f' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b') {
        match text.strip_prefix(['-', '+']) {
            Some(rest) => format!("{}{}{rest}", &text[..1], "0".repeat(fill)),
            None => format!("{}{text}", "0".repeat(fill)),
        }
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

fn format_one(spec: &Spec, arg: &Value) -> Result<String, String> {
    let to_number = || -> Result<Number, String> {
        match crate::lang::convert(arg.clone(), &Type::Number) {
            Ok(Value::Number(n)) => Ok(n),
            Ok(_) => Err("null value cannot be formatted".to_string()),
            Err(e) => Err(e),
        }
    };
    let sign = |n: &Number, text: String| -> String {
        if n.is_negative() || text.starts_with('-') {
            text
        } else if spec.plus {
            format!("+{text}")
        } else if spec.space {
            format!(" {text}")
        } else {
            text
        }
    };
    match spec.verb {
        // `%#v` is the JSON encoding of any value, strings included (Terraform's cty `format`).
        'v' if spec.sharp => super::encoding::json_encode(arg).map_err(|e| e.to_string()),
        'v' => Ok(match arg {
            Value::String(s) => s.clone(),
            Value::Number(n) => sign(n, n.to_string()),
            Value::Bool(b) => b.to_string(),
            Value::Null(_) => "null".to_string(),
            other => super::encoding::json_encode(other).map_err(|e| e.to_string())?,
        }),
        's' => match crate::lang::convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => Ok(match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }),
            Ok(_) => Ok("null".to_string()),
            Err(e) => Err(e),
        },
        'q' => match crate::lang::convert(arg.clone(), &Type::String) {
            Ok(Value::String(s)) => Ok(serde_json::to_string(&s).unwrap_or_default()),
            Ok(_) => Ok("null".to_string()),
            Err(e) => Err(e),
        },
        't' => match crate::lang::convert(arg.clone(), &Type::Bool) {
            Ok(Value::Bool(b)) => Ok(b.to_string()),
            _ => Err("bool required".to_string()),
        },
        'd' | 'b' | 'o' | 'x' | 'X' => {
            if let (Value::String(s), 'x' | 'X') = (arg, spec.verb)
                && Number::parse(s).is_none()
            {
                let hex = hex::encode(s.as_bytes());
                return Ok(if spec.verb == 'X' { hex.to_uppercase() } else { hex });
            }
            let n = to_number()?;
            if !n.is_integer() {
                return Err("an integer is required".to_string());
            }
            let int: BigInt =
                n.to_big_decimal().map(|d| d.with_scale(0).as_bigint_and_exponent().0).unwrap_or_default();
            let magnitude = int.magnitude();
            let digits = match spec.verb {
                'd' => magnitude.to_str_radix(10),
                'b' => magnitude.to_str_radix(2),
                'o' => magnitude.to_str_radix(8),
                'x' => magnitude.to_str_radix(16),
                _ => magnitude.to_str_radix(16).to_uppercase(),
            };
            let text = if n.is_negative() { format!("-{digits}") } else { digits };
            Ok(sign(&n, text))
        }
        'f' | 'F' => {
            let n = to_number()?;
            let precision = spec.precision.unwrap_or(6) as i64;
            let text = match n.to_big_decimal() {
                Some(d) => {
                    let rounded = d.with_scale_round(precision, bigdecimal::RoundingMode::HalfEven);
                    with_scale(&Number::from_big_decimal(rounded), precision)
                }
                None => n.to_string(),
            };
            Ok(sign(&n, text))
        }
        'e' | 'E' => {
            let n = to_number()?;
            let precision = spec.precision.unwrap_or(6);
            let text = format!("{:.*e}", precision, n.to_f64());
            let text = match text.split_once('e') {
                Some((mantissa, exp)) => {
                    let exp: i32 = exp.parse().unwrap_or(0);
                    let sign_char = if exp < 0 { '-' } else { '+' };
                    format!("{mantissa}e{sign_char}{:02}", exp.abs())
                }
                None => text,
            };
            let text = if spec.verb == 'E' { text.to_uppercase() } else { text };
            Ok(sign(&n, text))
        }
        'g' | 'G' => {
            let n = to_number()?;
            Ok(sign(&n, n.to_string()))
        }
        other => Err(format!("unrecognized format verb '{other}'")),
    }
}

/// Plain decimal with exactly `scale` fractional digits (for `%f`).
fn with_scale(number: &Number, scale: i64) -> String {
    let text = number.to_string();
    if scale <= 0 {
        return text;
    }
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut frac = frac.to_string();
    while (frac.len() as i64) < scale {
        frac.push('0');
    }
    format!("{int}.{frac}")
}
