//! Numbers. Terraform's are arbitrary-precision big floats; ours are arbitrary-precision
//! decimals ([`BigDecimal`]), so integers of any size and decimal literals stay exact and
//! sums and products are exact. Quotients that do not terminate are rounded to
//! [`DIVISION_DIGITS`] significant digits (Terraform rounds to 512 bits; exact parity is a
//! later step). Infinities (from division by zero) and negative zero are kept because
//! Terraform shows them (`-1 / 0` is `-Inf`, `-0` prints as `-0`).
//!
//! The representation is private so that it can change without touching callers.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, ToPrimitive, Zero};

/// Significant digits kept by a division whose quotient does not terminate.
const DIVISION_DIGITS: i64 = 160;

#[derive(Clone, Debug)]
pub struct Number(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// Invariant: normalized (no trailing zeros in the digits), so equal numbers have equal
    /// representations.
    Finite(BigDecimal),
    NegZero,
    Infinity {
        negative: bool,
    },
}

impl Number {
    fn finite(d: BigDecimal) -> Number {
        Number(Repr::Finite(d.normalized()))
    }

    /// The shortest decimal that reads back as `f` (how Go prints a float64, which is what
    /// Terraform shows for functions computed on float64, such as `pow` and `log`).
    pub fn from_f64(f: f64) -> Number {
        if f.is_infinite() {
            return Number(Repr::Infinity { negative: f < 0.0 });
        }
        if f == 0.0 && f.is_sign_negative() {
            return Number(Repr::NegZero);
        }
        if f.is_nan() {
            // NaN has no place in the language; the callers that can produce one (e.g.
            // `log(-1, 10)`) report an error before converting. Zero is a harmless fallback.
            return Number::from(0);
        }
        BigDecimal::from_str(&format!("{f}")).map(Number::finite).unwrap_or_else(|_| Number::from(0))
    }

    /// An exact decimal.
    pub fn from_big_decimal(d: BigDecimal) -> Number {
        Number::finite(d)
    }

    /// Parses a decimal literal as HCL writes them (`12`, `1.5`, `1e3`, `-0`, `.5`). No
    /// surrounding spaces, no `+` sign, no hexadecimal, no underscores (as Terraform's
    /// `tonumber`).
    pub fn parse(text: &str) -> Option<Number> {
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
        if negative {
            if d.is_zero() { Some(Number(Repr::NegZero)) } else { Some(Number::finite(-d)) }
        } else {
            Some(Number::finite(d))
        }
    }

    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Finite(d) => d.to_f64().unwrap_or(f64::NAN),
            Repr::NegZero => -0.0,
            Repr::Infinity { negative } => {
                if *negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
        }
    }

    /// The exact decimal, when finite.
    pub fn to_big_decimal(&self) -> Option<BigDecimal> {
        match &self.0 {
            Repr::Finite(d) => Some(d.clone()),
            Repr::NegZero => Some(BigDecimal::zero()),
            Repr::Infinity { .. } => None,
        }
    }

    /// The value as an i64 when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Finite(d) if d.is_integer() => d.to_i64(),
            Repr::NegZero => Some(0),
            _ => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Finite(d) => d.is_integer(),
            Repr::NegZero => true,
            Repr::Infinity { .. } => false,
        }
    }

    pub fn is_zero(&self) -> bool {
        match &self.0 {
            Repr::Finite(d) => d.is_zero(),
            Repr::NegZero => true,
            Repr::Infinity { .. } => false,
        }
    }

    /// Strictly below zero (`-0` is not).
    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Finite(d) => d.sign() == Sign::Minus,
            Repr::NegZero => false,
            Repr::Infinity { negative } => *negative,
        }
    }

    pub fn add(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Infinity { negative: a }, Repr::Infinity { negative: b }) if a != b => {
                // Go's big.Float panics on Inf - Inf; Terraform never gets here in practice.
                Number::from(0)
            }
            (Repr::Infinity { .. }, _) => self.clone(),
            (_, Repr::Infinity { .. }) => other.clone(),
            (Repr::NegZero, Repr::NegZero) => self.clone(),
            _ => Number::finite(self.decimal() + other.decimal()),
        }
    }

    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Infinity { .. }, _) | (_, Repr::Infinity { .. }) => {
                Number(Repr::Infinity { negative: self.sign_bit() != other.sign_bit() })
            }
            _ => {
                let product = self.decimal() * other.decimal();
                if product.is_zero() && self.sign_bit() != other.sign_bit() {
                    Number(Repr::NegZero)
                } else {
                    Number::finite(product)
                }
            }
        }
    }

    /// Division; dividing by zero gives an infinity, as Terraform's does.
    pub fn div(&self, other: &Number) -> Number {
        let negative = self.sign_bit() != other.sign_bit();
        match (&self.0, &other.0) {
            (Repr::Infinity { .. }, _) => Number(Repr::Infinity { negative }),
            (_, Repr::Infinity { .. }) => {
                if negative {
                    Number(Repr::NegZero)
                } else {
                    Number::from(0)
                }
            }
            _ if other.is_zero() => Number(Repr::Infinity { negative }),
            _ => Number::finite(divide(&self.decimal(), &other.decimal())),
        }
    }

    /// Remainder with the sign of the dividend (`a - b * trunc(a / b)`, as Terraform's);
    /// `x % 0` is `x`, as Terraform gives. Always `Some`; the `Option` is kept for callers.
    pub fn rem(&self, other: &Number) -> Option<Number> {
        match (&self.0, &other.0) {
            (Repr::Infinity { .. }, _) => Some(self.mul(other)),
            (_, Repr::Infinity { .. }) => Some(self.clone()),
            _ if other.is_zero() => Some(self.clone()),
            _ => {
                let (a, b) = (self.decimal(), other.decimal());
                let quotient = divide(&a, &b).with_scale_round(0, bigdecimal::RoundingMode::Down);
                Some(Number::finite(a - b * quotient))
            }
        }
    }

    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Finite(d) if d.is_zero() => Number(Repr::NegZero),
            Repr::Finite(d) => Number(Repr::Finite(-d.clone())),
            Repr::NegZero => Number::from(0),
            Repr::Infinity { negative } => Number(Repr::Infinity { negative: !negative }),
        }
    }

    pub fn abs(&self) -> Number {
        if self.sign_bit() { self.neg() } else { self.clone() }
    }

    /// Rounds toward negative infinity.
    pub fn floor(&self) -> Number {
        match &self.0 {
            Repr::Finite(d) => Number::finite(d.with_scale_round(0, bigdecimal::RoundingMode::Floor)),
            _ => self.clone(),
        }
    }

    /// Rounds toward positive infinity.
    pub fn ceil(&self) -> Number {
        match &self.0 {
            Repr::Finite(d) => Number::finite(d.with_scale_round(0, bigdecimal::RoundingMode::Ceiling)),
            _ => self.clone(),
        }
    }

    /// Drops the fractional part.
    pub fn trunc(&self) -> Number {
        match &self.0 {
            Repr::Finite(d) => Number::finite(d.with_scale_round(0, bigdecimal::RoundingMode::Down)),
            _ => self.clone(),
        }
    }

    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::Infinity { .. })
    }

    /// The JSON form; `None` for infinities, which JSON cannot hold. Numbers beyond what
    /// `serde_json::Number` holds exactly are approximated; [`Number`]'s `Display` is exact.
    pub fn to_json(&self) -> Option<serde_json::Number> {
        match &self.0 {
            Repr::Infinity { .. } => None,
            Repr::NegZero => serde_json::Number::from_f64(-0.0),
            Repr::Finite(d) => {
                if d.is_integer() {
                    if let Some(i) = d.to_i64() {
                        return Some(serde_json::Number::from(i));
                    }
                    if let Some(u) = d.to_u64() {
                        return Some(serde_json::Number::from(u));
                    }
                }
                serde_json::Number::from_f64(self.to_f64())
            }
        }
    }

    fn decimal(&self) -> BigDecimal {
        self.to_big_decimal().unwrap_or_default()
    }

    /// The sign bit, as IEEE floats have it (true for `-0`).
    fn sign_bit(&self) -> bool {
        match &self.0 {
            Repr::NegZero => true,
            _ => self.is_negative(),
        }
    }
}

/// `a / b` for `b != 0`: exact when the quotient terminates within [`DIVISION_DIGITS`]
/// significant digits, else rounded half-even to that many.
fn divide(a: &BigDecimal, b: &BigDecimal) -> BigDecimal {
    let (a_digits, a_scale) = a.as_bigint_and_exponent();
    let (b_digits, b_scale) = b.as_bigint_and_exponent();
    if a_digits.is_zero() {
        return BigDecimal::zero();
    }
    let extra = DIVISION_DIGITS + b.digits() as i64 - a.digits() as i64 + 1;
    let extra = extra.max(0);
    let numerator: BigInt = a_digits * BigInt::from(10).pow(extra as u32);
    let quotient = numerator / b_digits;
    let raw = BigDecimal::new(quotient, a_scale - b_scale + extra);
    raw.with_prec(DIVISION_DIGITS as u64)
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::finite(BigDecimal::from(i))
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Infinity { negative: a }, Repr::Infinity { negative: b }) => b.cmp(a),
            (Repr::Infinity { negative }, _) => {
                if *negative {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (_, Repr::Infinity { negative }) => {
                if *negative {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            _ => self.decimal().cmp(&other.decimal()),
        }
    }
}

impl fmt::Display for Number {
    /// Plain decimal notation, never an exponent (`1e21` prints all its digits), as
    /// Terraform prints numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Infinity { negative: false } => f.write_str("+Inf"),
            Repr::Infinity { negative: true } => f.write_str("-Inf"),
            Repr::NegZero => f.write_str("-0"),
            Repr::Finite(d) => {
                let (digits, scale) = d.as_bigint_and_exponent();
                let negative = digits.sign() == Sign::Minus;
                let text = digits.magnitude().to_string();
                if negative {
                    f.write_str("-")?;
                }
                if scale <= 0 {
                    f.write_str(&text)?;
                    for _ in 0..(-scale) {
                        f.write_str("0")?;
                    }
                    Ok(())
                } else {
                    let scale = scale as usize;
                    if text.len() > scale {
                        let (int, frac) = text.split_at(text.len() - scale);
                        write!(f, "{int}.{frac}")
                    } else {
                        write!(f, "0.{}{text}", "0".repeat(scale - text.len()))
                    }
                }
            }
        }
    }
}
