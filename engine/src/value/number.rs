//! Numbers. Terraform's are arbitrary-precision; this first cut keeps integers exact in an
//! i128 and falls back to f64 for fractions. The representation is private so that it can
//! become a big-float without touching callers.

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug)]
pub struct Number(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Int(i128),
    Float(f64),
}

impl Number {
    pub fn from_f64(f: f64) -> Number {
        if f.fract() == 0.0 && f.abs() < 1e30 && !(f == 0.0 && f.is_sign_negative()) {
            Number(Repr::Int(f as i128))
        } else {
            Number(Repr::Float(f))
        }
    }

    /// Parses a decimal literal as HCL writes them (`12`, `1.5`, `1e3`).
    pub fn parse(text: &str) -> Option<Number> {
        let text = text.trim();
        if let Ok(i) = text.parse::<i128>() {
            return Some(Number(Repr::Int(i)));
        }
        text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Number::from_f64)
    }

    pub fn to_f64(&self) -> f64 {
        match self.0 {
            Repr::Int(i) => i as f64,
            Repr::Float(f) => f,
        }
    }

    /// The value as an i64 when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => i64::try_from(i).ok(),
            Repr::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
            Repr::Float(_) => None,
        }
    }

    pub fn is_integer(&self) -> bool {
        match self.0 {
            Repr::Int(_) => true,
            Repr::Float(f) => f.is_finite() && f.fract() == 0.0,
        }
    }

    pub fn add(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => a
                .checked_add(*b)
                .map(|i| Number(Repr::Int(i)))
                .unwrap_or_else(|| Number::from_f64(*a as f64 + *b as f64)),
            _ => Number::from_f64(self.to_f64() + other.to_f64()),
        }
    }

    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.neg())
    }

    pub fn mul(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => a
                .checked_mul(*b)
                .map(|i| Number(Repr::Int(i)))
                .unwrap_or_else(|| Number::from_f64(*a as f64 * *b as f64)),
            _ => Number::from_f64(self.to_f64() * other.to_f64()),
        }
    }

    /// Division; dividing by zero gives an infinity, as Terraform's does.
    pub fn div(&self, other: &Number) -> Number {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) if *b != 0 && a % b == 0 => Number(Repr::Int(a / b)),
            _ => Number::from_f64(self.to_f64() / other.to_f64()),
        }
    }

    /// Remainder with the sign of the dividend (Go's `%`, as Terraform's).
    pub fn rem(&self, other: &Number) -> Option<Number> {
        match (&self.0, &other.0) {
            (Repr::Int(_), Repr::Int(0)) => None,
            (Repr::Int(a), Repr::Int(b)) => Some(Number(Repr::Int(a % b))),
            _ => {
                let b = other.to_f64();
                if b == 0.0 { None } else { Some(Number::from_f64(self.to_f64() % b)) }
            }
        }
    }

    pub fn neg(&self) -> Number {
        match self.0 {
            Repr::Int(0) => Number(Repr::Float(-0.0)),
            Repr::Int(i) => Number(Repr::Int(-i)),
            Repr::Float(f) => Number::from_f64(-f),
        }
    }

    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::Float(f) if f.is_infinite())
    }

    /// The JSON form; `None` for infinities, which JSON cannot hold.
    pub fn to_json(&self) -> Option<serde_json::Number> {
        match self.0 {
            Repr::Int(i) => {
                i64::try_from(i).ok().map(serde_json::Number::from).or_else(|| serde_json::Number::from_f64(i as f64))
            }
            Repr::Float(f) => serde_json::Number::from_f64(f),
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        Number(Repr::Int(i as i128))
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
            (Repr::Int(a), Repr::Int(b)) => a.cmp(b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Int(i) => write!(f, "{i}"),
            Repr::Float(x) if x.is_infinite() => f.write_str(if x > 0.0 { "+Inf" } else { "-Inf" }),
            Repr::Float(x) if x == 0.0 && x.is_sign_negative() => f.write_str("-0"),
            Repr::Float(x) => write!(f, "{x}"),
        }
    }
}
