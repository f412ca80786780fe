//! Lenient readers for request fields, as the Kingsoft SDKs send them: an id list may be a
//! single string, an integer may be a numeric string, and `null` is the same as absent.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A list of strings; one string is a list of one.
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    match Option::<OneOrMany>::deserialize(deserializer) {
        Ok(None) => Ok(Vec::new()),
        Ok(Some(OneOrMany::One(one))) => Ok(vec![one]),
        Ok(Some(OneOrMany::Many(many))) => Ok(many),
        Err(_) => Err(D::Error::custom("expected a list of strings")),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrText {
    Int(i64),
    Text(String),
}

/// An optional integer: a JSON number or a numeric string.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    match Option::<IntOrText>::deserialize(deserializer) {
        Ok(None) => Ok(None),
        Ok(Some(IntOrText::Int(n))) => Ok(Some(n)),
        Ok(Some(IntOrText::Text(text))) => {
            text.parse().map(Some).map_err(|_| D::Error::custom(format!("`{text}` is not an integer")))
        }
        Err(_) => Err(D::Error::custom("expected an integer")),
    }
}
