//! Reading numbers: decimal literals (with the machine-word shortcut for whole numbers),
//! float64 results and decimals, each rounded to [`PRECISION`] bits as cty rounds literals.

use std::str::FromStr;

use bigdecimal::num_bigint::{BigUint, Sign};
use bigdecimal::{BigDecimal, One, Zero};

use super::{MAX_DECIMAL_EXPONENT, Number, PRECISION, Repr};

impl Number {
    /// Parses a whole decimal of at most 19 digits (`12`, `-3`, `007`): it fits a u64, so
    /// it is exact at 512 bits.
    fn parse_word(text: &str) -> Option<Number> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let magnitude: u64 = digits.parse().ok()?;
        if magnitude == 0 {
            return Some(Number::zero(negative, PRECISION));
        }
        Some(Number::normalized(negative, BigUint::from(magnitude), 0, PRECISION))
    }

    /// The shortest decimal that reads back as the float64 `f` (how Go prints a float64,
    /// and so how Terraform shows functions computed on float64, such as `pow` and `log`),
    /// rounded to 512 bits like a literal.
    pub fn from_f64(f: f64) -> Number {
        if f.is_infinite() {
            return Number(Repr::Infinity { negative: f < 0.0 });
        }
        if f.is_nan() {
            // NaN has no place in the language; the callers that can produce one (e.g.
            // `log(-1, 10)`) report an error before converting. Zero is a harmless fallback.
            return Number::from(0);
        }
        // Rust's `Display` of a float is the shortest round-trip decimal, never exponent form.
        Number::parse(&format!("{f}")).unwrap_or_else(|| Number::from(0))
    }

    /// A decimal, rounded to 512 bits as a literal would be.
    pub fn from_big_decimal(d: BigDecimal) -> Number {
        let (digits, scale) = d.as_bigint_and_exponent();
        Number::from_decimal_parts(digits.sign() == Sign::Minus, digits.magnitude().clone(), -scale)
    }

    /// `digits * 10^exponent10`, rounded to 512 bits.
    fn from_decimal_parts(negative: bool, digits: BigUint, exponent10: i64) -> Number {
        if digits.is_zero() {
            return Number::zero(negative, PRECISION);
        }
        // Saturate before building powers of ten of absurd size.
        let magnitude = digits.to_string().len() as i64 + exponent10;
        if magnitude > MAX_DECIMAL_EXPONENT {
            return Number(Repr::Infinity { negative });
        }
        if magnitude < -MAX_DECIMAL_EXPONENT {
            return Number::zero(negative, PRECISION);
        }
        let ten = BigUint::from(10u32);
        if exponent10 >= 0 {
            // 10^k = 5^k * 2^k: keep the power of two in the exponent.
            let num = digits * BigUint::from(5u32).pow(exponent10 as u32);
            Number::round(negative, num, &BigUint::one(), exponent10, PRECISION)
        } else {
            let den = ten.pow((-exponent10) as u32);
            Number::round(negative, digits, &den, 0, PRECISION)
        }
    }

    /// Parses a decimal literal as HCL writes them (`12`, `1.5`, `1e3`, `-0`, `.5`). No
    /// surrounding spaces, no `+` sign, no hexadecimal, no underscores (as Terraform's
    /// `tonumber`). The value is rounded to 512 bits, as cty's `ParseNumberVal`.
    pub fn parse(text: &str) -> Option<Number> {
        Number::parse_word(text).or_else(|| Number::parse_general(text))
    }

    /// [`Number::parse`] without the machine-word shortcut.
    pub(in crate::value) fn parse_general(text: &str) -> Option<Number> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let valid = !body.is_empty()
            && body.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.')
            && body.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
        if !valid {
            return None;
        }
        let body = if body.starts_with('.') { format!("0{body}") } else { body.to_string() };
        let mantissa_end = body.find(['e', 'E']).unwrap_or(body.len());
        if !body[..mantissa_end].chars().any(|c| c.is_ascii_digit()) || body[..mantissa_end].ends_with('.') {
            return None;
        }
        let d = BigDecimal::from_str(&body).ok()?;
        let (digits, scale) = d.as_bigint_and_exponent();
        Some(Number::from_decimal_parts(negative, digits.magnitude().clone(), -scale))
    }
}
