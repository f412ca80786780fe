//! Numbers, as cty's: binary floating point with an arbitrary exponent and a mantissa of
//! [`PRECISION`] bits (Go's `big.Float` at 512 bits, rounded to nearest even), printed as
//! Go's `Text('f', -1)` prints them — the shortest decimal that reads back as the same
//! float. So `1 / 3` prints with the 155 digits Terraform prints, `9007199254740993` and
//! integers up to ~154 digits stay exact, and decimal literals print as written.
//!
//! The float is built on `num-bigint` (already in the tree through `bigdecimal`) rather
//! than a big-float crate: every cty operation is "exact result rounded once to 512 bits",
//! which is one rounding function over big integers, and the part no crate offers — Go's
//! shortest round-trip printing (`roundShortest` in `math/big/ftoa.go`) — needs the
//! mantissa and exponent as plain big integers anyway. (`dashu-float` would add a second
//! big-integer library for the arithmetic alone; `rug` needs GMP.)
//!
//! Every number has 512 bits, so that each reads back from its own text unchanged (plans
//! and state store numbers as text). cty gives integers from functions 64 bits and
//! `float64` results (`pow`, `log`) 53; we take the float64's shortest decimal instead,
//! which prints the same (`pow(2, 0.5)` is `1.4142135623730951`) and differs from cty only
//! in digits beyond the float64's own precision after further arithmetic.
//!
//! Infinities (from division by zero) and negative zero are kept because Terraform shows
//! them (`-1 / 0` is `-Inf`, `-0` prints as `-0`). Binary exponents beyond
//! [`MAX_EXPONENT`] saturate to infinity or zero: far beyond any real configuration, and it
//! keeps a hostile expression from building numbers of gigabytes.
//!
//! The representation is private so that it can change without touching callers.
//!
//! Integers that fit a machine word (instance counts, indexes, ports, sizes: nearly every
//! number a configuration holds) take shortcuts that give exactly what the general path
//! would: such an integer needs no rounding at 512 bits, and its shortest decimal is all of
//! its digits. The general path builds 512-bit quotients for every literal and two
//! ~500-digit bounds for every print, which was a quarter of a 10k-instance plan whose
//! names interpolate `count.index`.

mod arith;
mod decimal;
mod parse;

use std::cmp::Ordering;
use std::fmt;

use bigdecimal::num_bigint::{BigInt, BigUint, Sign};
use bigdecimal::{BigDecimal, One, ToPrimitive, Zero};

use decimal::shortest_digits;

/// Mantissa bits of literals and arithmetic results (cty's `ParseNumberVal` precision).
pub(super) const PRECISION: u32 = 512;
/// Precision of a float64, for [`Number::to_f64`].
const F64_PRECISION: u32 = 53;
/// Largest binary exponent kept (about 315,000 decimal digits).
const MAX_EXPONENT: i64 = 1 << 20;
/// Largest decimal exponent a literal may have before it saturates.
const MAX_DECIMAL_EXPONENT: i64 = 330_000;
/// The least precision at which the machine-word shortcuts are exact: a product of two
/// i64s has at most 126 bits (every number has [`PRECISION`]; this only guards the claim).
const WORD_PRECISION: u32 = 128;

#[derive(Clone, Debug)]
pub struct Number(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// `(-1)^negative * mantissa * 2^exponent`. Invariant: the mantissa is odd, or zero
    /// with a zero exponent (then `negative` is the sign of zero), and has at most
    /// `precision` bits.
    Finite {
        negative: bool,
        mantissa: BigUint,
        exponent: i64,
        precision: u32,
    },
    Infinity {
        negative: bool,
    },
}

impl Number {
    fn zero(negative: bool, precision: u32) -> Number {
        Number(Repr::Finite { negative, mantissa: BigUint::zero(), exponent: 0, precision })
    }

    /// `num / den * 2^exponent`, rounded to `precision` bits, nearest even (`den > 0`).
    fn round(negative: bool, num: BigUint, den: &BigUint, exponent: i64, precision: u32) -> Number {
        if num.is_zero() {
            return Number::zero(negative, precision);
        }
        // Scale so that the integer quotient has at least precision + 2 bits; the remainder
        // then only matters as a "sticky" bit for the rounding.
        let shift = i64::from(precision) + 2 + den.bits() as i64 - num.bits() as i64;
        let (quotient, remainder) = if shift >= 0 {
            let scaled = num << shift as u64;
            (&scaled / den, &scaled % den)
        } else {
            let scaled = den << (-shift) as u64;
            (&num / &scaled, &num % &scaled)
        };
        let mut exponent = exponent - shift;
        let extra = quotient.bits() as i64 - i64::from(precision);
        let mut mantissa = quotient;
        if extra > 0 {
            let low_mask = (BigUint::one() << extra as u64) - 1u32;
            let low = &mantissa & &low_mask;
            let half = BigUint::one() << (extra - 1) as u64;
            mantissa >>= extra as u64;
            exponent += extra;
            let round_up = match low.cmp(&half) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => !remainder.is_zero() || mantissa.bit(0),
            };
            if round_up {
                mantissa += 1u32;
            }
        }
        Number::normalized(negative, mantissa, exponent, precision)
    }

    fn normalized(negative: bool, mut mantissa: BigUint, mut exponent: i64, precision: u32) -> Number {
        if mantissa.is_zero() {
            return Number::zero(negative, precision);
        }
        let zeros = mantissa.trailing_zeros().unwrap_or(0);
        mantissa >>= zeros;
        exponent += zeros as i64;
        let top = exponent + mantissa.bits() as i64;
        if top > MAX_EXPONENT {
            return Number(Repr::Infinity { negative });
        }
        if top < -MAX_EXPONENT {
            return Number::zero(negative, precision);
        }
        Number(Repr::Finite { negative, mantissa, exponent, precision })
    }

    /// An integer of at most 127 bits, exactly (`precision` is at least [`WORD_PRECISION`]).
    /// A zero is positive, as the general paths make a zero sum or integer.
    fn from_word(value: i128, precision: u32) -> Number {
        if value == 0 {
            return Number::zero(false, precision);
        }
        Number::normalized(value < 0, BigUint::from(value.unsigned_abs()), 0, precision)
    }

    /// The value as an i64 when it is an integer that fits one (zeros of either sign are 0).
    fn word(&self) -> Option<i64> {
        let Repr::Finite { negative, mantissa, exponent, precision } = &self.0 else { return None };
        if *exponent < 0 || *precision < WORD_PRECISION || mantissa.bits() as i64 + exponent > 63 {
            return None;
        }
        let magnitude = (mantissa.to_u64()? << *exponent) as i64;
        Some(if *negative { -magnitude } else { magnitude })
    }

    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Infinity { negative: true } => f64::NEG_INFINITY,
            Repr::Infinity { negative: false } => f64::INFINITY,
            Repr::Finite { negative, .. } if self.is_zero() => {
                if *negative {
                    -0.0
                } else {
                    0.0
                }
            }
            Repr::Finite { negative, mantissa, exponent, .. } => {
                // Round to 53 bits first, so that the conversion below is exact.
                let rounded = Number::round(*negative, mantissa.clone(), &BigUint::one(), *exponent, F64_PRECISION);
                let Repr::Finite { mantissa, exponent, .. } = rounded.0 else {
                    return if *negative { f64::NEG_INFINITY } else { f64::INFINITY };
                };
                let m = mantissa.to_u64().unwrap_or(0) as f64;
                let value = scale2(m, exponent);
                if *negative { -value } else { value }
            }
        }
    }

    /// The exact decimal, when finite.
    pub fn to_big_decimal(&self) -> Option<BigDecimal> {
        match &self.0 {
            Repr::Infinity { .. } => None,
            Repr::Finite { negative, mantissa, exponent, .. } => {
                let sign = if *negative { Sign::Minus } else { Sign::Plus };
                if mantissa.is_zero() {
                    return Some(BigDecimal::zero());
                }
                if *exponent >= 0 {
                    let int = BigInt::from_biguint(sign, mantissa << *exponent as u64);
                    Some(BigDecimal::from(int))
                } else {
                    // m * 2^-k = m * 5^k / 10^k
                    let k = (-*exponent) as u32;
                    let int = BigInt::from_biguint(sign, mantissa * BigUint::from(5u32).pow(k));
                    Some(BigDecimal::new(int, i64::from(k)).normalized())
                }
            }
        }
    }

    /// The value as an i64 when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        if let Some(word) = self.word() {
            return Some(word);
        }
        if !self.is_integer() {
            return None;
        }
        match &self.0 {
            Repr::Finite { negative, mantissa, exponent, .. } => {
                if *exponent > 64 {
                    return None;
                }
                let magnitude = BigInt::from(mantissa << *exponent as u64);
                let value = if *negative { -magnitude } else { magnitude };
                value.to_i64()
            }
            Repr::Infinity { .. } => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Finite { exponent, .. } => *exponent >= 0,
            Repr::Infinity { .. } => false,
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(&self.0, Repr::Finite { mantissa, .. } if mantissa.is_zero())
    }

    /// Strictly below zero (`-0` is not).
    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Finite { negative, mantissa, .. } => *negative && !mantissa.is_zero(),
            Repr::Infinity { negative } => *negative,
        }
    }

    fn precision(&self) -> u32 {
        match &self.0 {
            Repr::Finite { precision, .. } => *precision,
            Repr::Infinity { .. } => PRECISION,
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
            Repr::Finite { negative: true, mantissa, .. } if mantissa.is_zero() => serde_json::Number::from_f64(-0.0),
            Repr::Finite { negative, .. } => {
                if self.is_integer() {
                    if let Some(i) = self.to_i64() {
                        return Some(serde_json::Number::from(i));
                    }
                    if !negative && let Some(u) = self.to_big_decimal().and_then(|d| d.to_u64()) {
                        return Some(serde_json::Number::from(u));
                    }
                }
                serde_json::Number::from_f64(self.to_f64())
            }
        }
    }

    /// The sign bit, as IEEE floats have it (true for `-0`).
    fn sign_bit(&self) -> bool {
        match &self.0 {
            Repr::Finite { negative, .. } | Repr::Infinity { negative } => *negative,
        }
    }
}

/// `m * 2^e` in f64 (exact while the result is a normal float).
fn scale2(m: f64, e: i64) -> f64 {
    let e = e.clamp(-2200, 2200) as i32;
    // Two steps so that neither power of two overflows on its own.
    let half = e / 2;
    m * 2f64.powi(half) * 2f64.powi(e - half)
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number::from_word(i128::from(i), PRECISION)
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
        if let (Some(a), Some(b)) = (self.word(), other.word()) {
            return a.cmp(&b);
        }
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
            (
                Repr::Finite { negative: na, mantissa: ma, exponent: ea, .. },
                Repr::Finite { negative: nb, mantissa: mb, exponent: eb, .. },
            ) => {
                let sa = if ma.is_zero() {
                    0
                } else if *na {
                    -1
                } else {
                    1
                };
                let sb = if mb.is_zero() {
                    0
                } else if *nb {
                    -1
                } else {
                    1
                };
                if sa != sb || sa == 0 {
                    return sa.cmp(&sb);
                }
                // Same sign, both non-zero: compare magnitudes, then flip for negatives.
                let top_a = ea + ma.bits() as i64;
                let top_b = eb + mb.bits() as i64;
                let magnitude = top_a.cmp(&top_b).then_with(|| {
                    let base = (*ea).min(*eb);
                    (ma << (ea - base) as u64).cmp(&(mb << (eb - base) as u64))
                });
                if sa < 0 { magnitude.reverse() } else { magnitude }
            }
        }
    }
}

impl fmt::Display for Number {
    /// Go's `big.Float.Text('f', -1)`: plain decimal notation, never an exponent (`1e21`
    /// prints all its digits), with the fewest digits that read back as the same float.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Infinity { negative: false } => f.write_str("+Inf"),
            Repr::Infinity { negative: true } => f.write_str("-Inf"),
            Repr::Finite { negative, mantissa, exponent, precision } => {
                if *negative {
                    f.write_str("-")?;
                }
                if mantissa.is_zero() {
                    return f.write_str("0");
                }
                if let Some(word) = self.word() {
                    // All of an integer's digits are needed while it has no more bits than
                    // the precision: any shorter decimal is at least 1 away, an ulp is < 1.
                    return write!(f, "{}", word.unsigned_abs());
                }
                f.write_str(&shortest_digits(mantissa, *exponent, *precision))
            }
        }
    }
}

#[cfg(test)]
impl Number {
    /// [`Number`]'s text without the machine-word shortcut, for tests that hold the
    /// shortcuts to the general path.
    pub(in crate::value) fn general_text(&self) -> String {
        match &self.0 {
            Repr::Finite { negative, mantissa, exponent, precision } if !mantissa.is_zero() => {
                let sign = if *negative { "-" } else { "" };
                format!("{sign}{}", shortest_digits(mantissa, *exponent, *precision))
            }
            _ => self.to_string(),
        }
    }
}
