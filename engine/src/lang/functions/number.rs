//! Number functions: `min`, `max`, `abs`, `ceil`, `floor`, `pow`, `log`, `signum`,
//! `parseint`. `pow` and `log` compute on 64-bit floats, as Terraform's do.

use bigdecimal::BigDecimal;
use bigdecimal::num_bigint::BigInt;

use super::{FnError, Function, Functions, Param, int_of, number_of, str_of};
use crate::value::{Number, Type, Value};

fn unary(f: fn(&Number) -> Number) -> Function {
    Function::new(vec![Param::new("num", Type::Number)], Type::Number, move |_, args| {
        Ok(Value::Number(f(&number_of(&args[0]))))
    })
}

pub(super) fn register(functions: &mut Functions) {
    for (name, want_max) in [("min", false), ("max", true)] {
        functions.register(
            name,
            Function::new(vec![], Type::Number, move |_, args| {
                let mut best: Option<Number> = None;
                for arg in &args {
                    let n = number_of(arg);
                    best = Some(match best {
                        Some(b) if (n > b) == want_max && n != b => n,
                        Some(b) => b,
                        None => n,
                    });
                }
                best.map(Value::Number).ok_or_else(|| FnError::Call("must pass at least one number".to_string()))
            })
            .variadic(Param::new("numbers", Type::Number)),
        );
    }
    functions.register("abs", unary(Number::abs));
    functions.register("ceil", unary(Number::ceil));
    functions.register("floor", unary(Number::floor));
    functions.register(
        "signum",
        unary(|n| {
            if n.is_zero() {
                Number::from(0)
            } else if n.is_negative() {
                Number::from(-1)
            } else {
                Number::from(1)
            }
        }),
    );
    functions.register(
        "pow",
        Function::new(
            vec![Param::new("num", Type::Number), Param::new("power", Type::Number)],
            Type::Number,
            |_, args| {
                let (base, power) = (number_of(&args[0]), number_of(&args[1]));
                // Whole powers of whole numbers are computed exactly; Terraform's float64 result
                // is exact too as long as it fits 53 bits, and beyond that exact is better.
                if base.is_integer()
                    && power.is_integer()
                    && !power.is_negative()
                    && let (Some(b), Some(p)) = (base.to_big_decimal(), power.to_i64())
                    && p <= 4096
                {
                    let (digits, _) = b.with_scale(0).into_bigint_and_exponent();
                    let result: BigInt = digits.pow(p as u32);
                    return Ok(Value::Number(Number::from_big_decimal(BigDecimal::from(result))));
                }
                Ok(Value::Number(Number::from_f64(base.to_f64().powf(power.to_f64()))))
            },
        ),
    );
    functions.register(
        "log",
        Function::new(
            vec![Param::new("num", Type::Number), Param::new("base", Type::Number)],
            Type::Number,
            |_, args| {
                let (num, base) = (number_of(&args[0]).to_f64(), number_of(&args[1]).to_f64());
                let result = num.ln() / base.ln();
                if result.is_nan() {
                    return Err(FnError::Call("the result is not a number".to_string()));
                }
                // Exact powers (log(8, 2)) come out of the float division a hair off; Go's
                // math.Log happens to give the whole number, so round when that close.
                let rounded = result.round();
                let result = if (result - rounded).abs() < 1e-12 { rounded } else { result };
                Ok(Value::Number(Number::from_f64(result)))
            },
        ),
    );
    functions.register(
        "parseint",
        Function::new(
            vec![Param::new("number", Type::Dynamic), Param::new("base", Type::Number)],
            Type::Number,
            |_, args| {
                let base = int_of(&args[1], 1)?;
                if !(2..=62).contains(&base) {
                    return Err(FnError::Arg(1, "base must be a whole number between 2 and 62 inclusive".to_string()));
                }
                let text = match &args[0] {
                    Value::String(s) => s.clone(),
                    other => {
                        return Err(FnError::Arg(0, format!("cannot parse {} as a base {base} integer", other.ty())));
                    }
                };
                let (negative, digits) = match text.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, text.strip_prefix('+').unwrap_or(&text)),
                };
                let parsed = if digits.is_empty() { None } else { parse_digits(digits, base as u32) };
                let Some(mut value) = parsed else {
                    return Err(FnError::Arg(
                        0,
                        format!(
                            "cannot parse {} as a base {base} integer",
                            serde_json::to_string(str_of(&args[0])).unwrap_or_default()
                        ),
                    ));
                };
                if negative {
                    value = -value;
                }
                Ok(Value::Number(Number::from_big_decimal(BigDecimal::from(value))))
            },
        ),
    );
}

/// Digits in `base` as Go's `big.Int.SetString` reads them (what cty's `parseint` uses):
/// 0-9, then a-z, then A-Z; letters are case-insensitive up to base 36, and above it the
/// upper-case letters are the digits 36 to 61.
fn parse_digits(digits: &str, base: u32) -> Option<BigInt> {
    let mut value = BigInt::from(0u32);
    for c in digits.chars() {
        let digit = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if digit >= base {
            return None;
        }
        value = value * base + digit;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_read_as_go_big_int_does() {
        // Terraform 1.0.3: parseint("aA", 62) is 656; case matters only above base 36.
        assert_eq!(parse_digits("aA", 62), Some(BigInt::from(656)));
        assert_eq!(parse_digits("zZ", 62), Some(BigInt::from(35 * 62 + 61)));
        assert_eq!(parse_digits("FF", 16), Some(BigInt::from(255)));
        assert_eq!(parse_digits("ff", 16), Some(BigInt::from(255)));
        assert_eq!(parse_digits("zz", 36), Some(BigInt::from(1295)));
        assert_eq!(parse_digits("ZZ", 36), Some(BigInt::from(1295)));
        assert_eq!(parse_digits("Z", 61), None);
        assert_eq!(parse_digits("1_0", 10), None);
        assert_eq!(parse_digits("g", 16), None);
    }
}
