//! Hash and identifier functions: `md5`, `sha1`, `sha256`, `sha512`, `base64sha256`,
//! `base64sha512`, `uuid`, `uuidv5`.

use base64::Engine as _;
use md5::Digest as _;

use super::{FnError, Function, Functions, Param, str_of};
use crate::value::{Type, Value};

fn hash_fn(f: fn(&[u8]) -> Vec<u8>, base64: bool) -> Function {
    Function::new(vec![Param::new("str", Type::String)], Type::String, move |_, args| {
        let digest = f(str_of(&args[0]).as_bytes());
        Ok(Value::String(if base64 {
            base64::engine::general_purpose::STANDARD.encode(digest)
        } else {
            hex::encode(digest)
        }))
    })
}

pub(super) fn register(functions: &mut Functions) {
    functions.register("md5", hash_fn(|b| md5::Md5::digest(b).to_vec(), false));
    functions.register("sha1", hash_fn(|b| sha1::Sha1::digest(b).to_vec(), false));
    functions.register("sha256", hash_fn(|b| sha2::Sha256::digest(b).to_vec(), false));
    functions.register("sha512", hash_fn(|b| sha2::Sha512::digest(b).to_vec(), false));
    functions.register("base64sha256", hash_fn(|b| sha2::Sha256::digest(b).to_vec(), true));
    functions.register("base64sha512", hash_fn(|b| sha2::Sha512::digest(b).to_vec(), true));
    functions.register(
        "uuid",
        Function::new(vec![], Type::String, |_, _| Ok(Value::String(uuid::Uuid::new_v4().to_string()))),
    );
    functions.register(
        "uuidv5",
        Function::new(
            vec![Param::new("namespace", Type::String), Param::new("name", Type::String)],
            Type::String,
            |_, args| {
                let namespace = str_of(&args[0]);
                let ns = match namespace {
                    "dns" => uuid::Uuid::NAMESPACE_DNS,
                    "url" => uuid::Uuid::NAMESPACE_URL,
                    "oid" => uuid::Uuid::NAMESPACE_OID,
                    "x500" => uuid::Uuid::NAMESPACE_X500,
                    other => uuid::Uuid::parse_str(other)
                        .map_err(|e| FnError::Call(format!("uuidv5() doesn't support namespace {other} ({e})")))?,
                };
                Ok(Value::String(uuid::Uuid::new_v5(&ns, str_of(&args[1]).as_bytes()).to_string()))
            },
        ),
    );
}
