//! Encoding functions: `jsonencode` (byte-for-byte as Terraform's, which escapes `<`, `>`
//! and `&` like Go's encoder and prints numbers in full), `jsondecode`, `base64encode`,
//! `base64decode`, `base64gzip`, `urlencode`, `yamlencode`, `yamldecode`, `csvdecode`.

use std::fmt::Write as _;

use base64::Engine as _;

use super::{FnError, Function, Functions, Param, str_of};
use crate::value::{Type, Value};

/// Why a value has no JSON form.
#[derive(Debug, thiserror::Error)]
pub(crate) enum JsonEncodeError {
    #[error("cannot serialize infinity as JSON")]
    Infinity,
    #[error("value is not known")]
    Unknown,
}

/// Terraform's JSON text of a value.
pub(crate) fn json_encode(value: &Value) -> Result<String, JsonEncodeError> {
    let mut out = String::new();
    write_json(value, &mut out)?;
    Ok(out)
}

fn write_json(value: &Value, out: &mut String) -> Result<(), JsonEncodeError> {
    match value {
        Value::Sensitive(inner) => write_json(inner, out)?,
        Value::Unknown(_) => return Err(JsonEncodeError::Unknown),
        Value::Null(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_infinite() {
                return Err(JsonEncodeError::Infinity);
            }
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_json_string(s, out),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(_, items) | Value::Object(items) => {
            out.push('{');
            for (i, (key, item)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// A JSON string as Go's `encoding/json` writes it (HTML-safe).
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// gzip as Go's `compress/gzip` writes it at the default level, which is what
/// `base64gzip` returns in Terraform: a header with no name and OS "unknown", the data
/// in a non-final block, a sync-flush marker, and an empty final stored block. (Go's and
/// miniz's block contents agree for short inputs; long ones may compress differently.)
fn go_gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    let mut compressor = flate2::Compress::new(flate2::Compression::default(), false);
    let mut buffer = Vec::with_capacity(data.len() + 64);
    loop {
        let consumed = compressor.total_in() as usize;
        buffer.reserve(data.len() + 64);
        compressor
            .compress_vec(&data[consumed.min(data.len())..], &mut buffer, flate2::FlushCompress::Sync)
            .map_err(|e| e.to_string())?;
        if compressor.total_in() as usize >= data.len() && buffer.len() < buffer.capacity() {
            break;
        }
    }
    out.extend_from_slice(&buffer);
    out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(out)
}

/// `csvdecode`: RFC 4180 CSV whose first line names the columns; a list of objects of
/// strings.
fn csv_decode(text: &str) -> Result<Value, FnError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(FnError::Call("missing header line".to_string())),
        Some(Err(e)) => return Err(FnError::Call(format!("failed to parse CSV: {e}"))),
        Some(Ok(header)) => header.iter().map(str::to_string).collect::<Vec<_>>(),
    };
    let row_type = Type::Object(header.iter().map(|h| (h.clone(), Type::String)).collect());
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| FnError::Call(format!("failed to parse CSV: {e}")))?;
        if record.len() != header.len() {
            return Err(FnError::Call(format!(
                "record on line {}: wrong number of fields",
                record.position().map(|p| p.line()).unwrap_or(0)
            )));
        }
        rows.push(Value::Object(header.iter().cloned().zip(record.iter().map(Value::string)).collect()));
    }
    Ok(Value::List(row_type, rows))
}

/// Encodes text in one of the encodings `textencodebase64` knows.
fn encode_text(text: &str, encoding: &str) -> Option<Vec<u8>> {
    match encoding.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => Some(text.as_bytes().to_vec()),
        "UTF-16LE" => Some(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        "UTF-16BE" => Some(text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        _ => None,
    }
}

fn decode_text(bytes: &[u8], encoding: &str) -> Option<String> {
    let units = |f: fn([u8; 2]) -> u16| -> Option<String> {
        if !bytes.len().is_multiple_of(2) {
            return None;
        }
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| f([c[0], c[1]])).collect();
        String::from_utf16(&units).ok()
    };
    match encoding.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => String::from_utf8(bytes.to_vec()).ok(),
        "UTF-16LE" => units(u16::from_le_bytes),
        "UTF-16BE" => units(u16::from_be_bytes),
        _ => None,
    }
}

pub(super) fn register(functions: &mut Functions) {
    functions.register(
        "textencodebase64",
        Function::new(
            vec![Param::new("string", Type::String), Param::new("encoding", Type::String)],
            Type::String,
            |_, args| {
                let encoding = str_of(&args[1]);
                let bytes = encode_text(str_of(&args[0]), encoding).ok_or_else(|| {
                    FnError::Arg(1, format!("\"{encoding}\" is not a supported IANA encoding name or alias"))
                })?;
                Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)))
            },
        ),
    );
    functions.register(
        "textdecodebase64",
        Function::new(
            vec![Param::new("source", Type::String), Param::new("encoding", Type::String)],
            Type::String,
            |_, args| {
                let encoding = str_of(&args[1]);
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(str_of(&args[0]))
                    .map_err(|_| FnError::Arg(0, "the given value is not valid base64".to_string()))?;
                decode_text(&bytes, encoding)
                    .ok_or_else(|| FnError::Arg(1, format!("the given string is not valid {encoding} text")))
                    .map(Value::String)
            },
        ),
    );
    functions.register(
        "jsonencode",
        Function::new(vec![Param::nullable("val", Type::Dynamic)], Type::String, |_, args| {
            json_encode(&args[0]).map(Value::String).map_err(|e| FnError::Call(e.to_string()))
        }),
    );
    functions.register(
        "jsondecode",
        Function::new(vec![Param::new("str", Type::String)], Type::Dynamic, |_, args| {
            let text = str_of(&args[0]);
            if text.trim().is_empty() {
                return Err(FnError::Call("EOF".to_string()));
            }
            let json: serde_json::Value = serde_json::from_str(text).map_err(|e| FnError::Call(e.to_string()))?;
            Value::from_json(&json, &Type::Dynamic).map_err(|e| FnError::Call(e.to_string()))
        }),
    );
    functions.register(
        "base64encode",
        Function::new(vec![Param::new("str", Type::String)], Type::String, |_, args| {
            Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(str_of(&args[0]))))
        }),
    );
    functions.register(
        "base64decode",
        Function::new(vec![Param::new("str", Type::String)], Type::String, |_, args| {
            let text = str_of(&args[0]);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| FnError::Call(format!("failed to decode base64 data '{text}'")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| FnError::Call("the result of decoding the provided string is not valid UTF-8".to_string()))
        }),
    );
    functions.register(
        "base64gzip",
        Function::new(vec![Param::new("str", Type::String)], Type::String, |_, args| {
            let bytes = go_gzip(str_of(&args[0]).as_bytes()).map_err(FnError::Call)?;
            Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)))
        }),
    );
    functions.register(
        "yamlencode",
        Function::new(vec![Param::nullable("value", Type::Dynamic)], Type::String, |_, args| {
            super::yaml::encode(&args[0]).map(Value::String).map_err(FnError::Call)
        }),
    );
    functions.register(
        "yamldecode",
        Function::new(vec![Param::new("src", Type::String)], Type::Dynamic, |_, args| {
            super::yaml::decode(str_of(&args[0])).map_err(FnError::Call)
        }),
    );
    functions.register(
        "csvdecode",
        Function::new(vec![Param::new("str", Type::String)], Type::Dynamic, |_, args| csv_decode(str_of(&args[0]))),
    );
    functions.register(
        "urlencode",
        Function::new(vec![Param::new("str", Type::String)], Type::String, |_, args| {
            // Go's url.QueryEscape: unreserved characters stay, space becomes `+`.
            const SET: &percent_encoding::AsciiSet =
                &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b' ');
            let encoded = percent_encoding::utf8_percent_encode(str_of(&args[0]), SET).to_string();
            Ok(Value::String(encoded.replace(' ', "+")))
        }),
    );
}
