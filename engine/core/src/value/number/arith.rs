//! Arithmetic, each operation exact and then rounded once to the operands' precision
//! (cty's rule), with machine-word shortcuts where the exact result is a small integer.

use bigdecimal::num_bigint::{BigInt, BigUint, Sign};
use bigdecimal::{One, Zero};

use super::{Number, Repr, WORD_PRECISION};

impl Number {
    pub fn add(&self, other: &Number) -> Number {
        let precision = self.precision().max(other.precision());
        match (&self.0, &other.0) {
            (Repr::Infinity { negative: a }, Repr::Infinity { negative: b }) if a != b => {
                // Go's big.Float panics on Inf - Inf; Terraform never gets here in practice.
                Number::from(0)
            }
            (Repr::Infinity { .. }, _) => self.clone(),
            (_, Repr::Infinity { .. }) => other.clone(),
            (
                Repr::Finite { negative: na, mantissa: ma, exponent: ea, .. },
                Repr::Finite { negative: nb, mantissa: mb, exponent: eb, .. },
            ) => {
                if ma.is_zero() && mb.is_zero() {
                    return Number::zero(*na && *nb, precision);
                }
                if precision >= WORD_PRECISION
                    && let (Some(a), Some(b)) = (self.word(), other.word())
                {
                    return Number::from_word(i128::from(a) + i128::from(b), precision);
                }
                if ma.is_zero() {
                    return Number::round(*nb, mb.clone(), &BigUint::one(), *eb, precision);
                }
                if mb.is_zero() {
                    return Number::round(*na, ma.clone(), &BigUint::one(), *ea, precision);
                }
                // When one operand lies wholly below half an ulp of the other, the rounded
                // sum is the larger one: skip the (possibly huge) alignment shift.
                let top_a = ea + ma.bits() as i64;
                let top_b = eb + mb.bits() as i64;
                let gap = i64::from(precision) + 4;
                if top_a - gap > top_b && ea - 2 > top_b {
                    return Number::round(*na, ma.clone(), &BigUint::one(), *ea, precision);
                }
                if top_b - gap > top_a && eb - 2 > top_a {
                    return Number::round(*nb, mb.clone(), &BigUint::one(), *eb, precision);
                }
                let base = (*ea).min(*eb);
                let a = BigInt::from_biguint(sign_of(*na), ma << (ea - base) as u64);
                let b = BigInt::from_biguint(sign_of(*nb), mb << (eb - base) as u64);
                let sum = a + b;
                if sum.is_zero() {
                    return Number::zero(false, precision);
                }
                Number::round(sum.sign() == Sign::Minus, sum.magnitude().clone(), &BigUint::one(), base, precision)
            }
        }
    }

    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Number) -> Number {
        let negative = self.sign_bit() != other.sign_bit();
        let precision = self.precision().max(other.precision());
        match (&self.0, &other.0) {
            (Repr::Infinity { .. }, _) | (_, Repr::Infinity { .. }) => Number(Repr::Infinity { negative }),
            (Repr::Finite { mantissa: ma, exponent: ea, .. }, Repr::Finite { mantissa: mb, exponent: eb, .. }) => {
                if precision >= WORD_PRECISION
                    && let (Some(a), Some(b)) = (self.word(), other.word())
                {
                    let product = i128::from(a) * i128::from(b);
                    return if product == 0 {
                        Number::zero(negative, precision)
                    } else {
                        Number::from_word(product, precision)
                    };
                }
                Number::round(negative, ma * mb, &BigUint::one(), ea + eb, precision)
            }
        }
    }

    /// Division; dividing by zero gives an infinity, as Terraform's does.
    pub fn div(&self, other: &Number) -> Number {
        let negative = self.sign_bit() != other.sign_bit();
        let precision = self.precision().max(other.precision());
        match (&self.0, &other.0) {
            (Repr::Infinity { .. }, _) => Number(Repr::Infinity { negative }),
            (_, Repr::Infinity { .. }) => Number::zero(negative, precision),
            _ if other.is_zero() => Number(Repr::Infinity { negative }),
            (Repr::Finite { mantissa: ma, exponent: ea, .. }, Repr::Finite { mantissa: mb, exponent: eb, .. }) => {
                if precision >= WORD_PRECISION
                    && let (Some(a), Some(b)) = (self.word(), other.word())
                    && i128::from(a) % i128::from(b) == 0
                {
                    let quotient = i128::from(a) / i128::from(b);
                    return if quotient == 0 {
                        Number::zero(negative, precision)
                    } else {
                        Number::from_word(quotient, precision)
                    };
                }
                Number::round(negative, ma.clone(), mb, ea - eb, precision)
            }
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
                let quotient = self.div(other).trunc();
                Some(self.sub(&other.mul(&quotient)))
            }
        }
    }

    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Finite { negative, mantissa, exponent, precision } => Number(Repr::Finite {
                negative: !negative,
                mantissa: mantissa.clone(),
                exponent: *exponent,
                precision: *precision,
            }),
            Repr::Infinity { negative } => Number(Repr::Infinity { negative: !negative }),
        }
    }

    pub fn abs(&self) -> Number {
        if self.sign_bit() { self.neg() } else { self.clone() }
    }

    /// Rounds toward negative infinity.
    pub fn floor(&self) -> Number {
        self.to_integer(|negative, inexact| negative && inexact)
    }

    /// Rounds toward positive infinity.
    pub fn ceil(&self) -> Number {
        self.to_integer(|negative, inexact| !negative && inexact)
    }

    /// Drops the fractional part.
    pub fn trunc(&self) -> Number {
        self.to_integer(|_, _| false)
    }

    /// The integer part, moved one away from zero when `away(negative, had_fraction)`.
    fn to_integer(&self, away: impl Fn(bool, bool) -> bool) -> Number {
        match &self.0 {
            Repr::Finite { negative, mantissa, exponent, precision } if *exponent < 0 => {
                let shift = (-*exponent) as u64;
                let mut int = mantissa >> shift;
                let inexact = !mantissa.is_zero();
                if away(*negative, inexact) {
                    int += 1u32;
                }
                Number::round(*negative, int, &BigUint::one(), 0, *precision)
            }
            _ => self.clone(),
        }
    }
}

fn sign_of(negative: bool) -> Sign {
    if negative { Sign::Minus } else { Sign::Plus }
}
