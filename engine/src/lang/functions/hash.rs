//! Hash and identifier functions: `md5`, `sha1`, `sha256`, `sha512`, `base64sha256`,
//! `base64sha512`, `uuid`, `uuidv5`, and the crypto ones, `bcrypt` and `rsadecrypt`.

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
    functions.register(
        "bcrypt",
        Function::new(vec![Param::new("str", Type::String)], Type::String, |_, args| {
            let cost = match args.get(1) {
                Some(cost) => super::int_of(cost, 1)?,
                None => i64::from(bcrypt::DEFAULT_COST),
            };
            let cost = u32::try_from(cost).ok().filter(|c| (4..=31).contains(c)).ok_or_else(|| {
                FnError::Arg(1, format!("crypto/bcrypt: cost {cost} is outside allowed range (4,31)"))
            })?;
            let hashed = bcrypt::hash_with_result(str_of(&args[0]), cost)
                .map_err(|e| FnError::Call(format!("error occurred generating password {e}")))?;
            // Go's x/crypto/bcrypt writes version 2a.
            Ok(Value::String(hashed.format_for_version(bcrypt::Version::TwoA)))
        })
        .variadic(Param::new("cost", Type::Number)),
    );
    functions.register(
        "rsadecrypt",
        Function::new(
            vec![Param::new("ciphertext", Type::String), Param::new("privatekey", Type::String)],
            Type::String,
            |_, args| rsa_decrypt(str_of(&args[0]), str_of(&args[1])),
        ),
    );
}

/// `rsadecrypt`: base64 PKCS #1 v1.5 ciphertext, a PEM private key (PKCS #1 or #8).
fn rsa_decrypt(ciphertext: &str, pem: &str) -> Result<Value, FnError> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(ciphertext).map_err(|_| {
        FnError::Arg(0, "failed to decode input \"cipher_text\": cipher text must be base64-encoded".to_string())
    })?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
        .map_err(|_| FnError::Arg(1, "invalid private key: failed to parse key: no key found".to_string()))?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|_| FnError::Call("failed to decrypt: crypto/rsa: decryption error".to_string()))?;
    String::from_utf8(plain).map(Value::String).map_err(|_| FnError::Call("the message is not valid UTF-8".to_string()))
}
