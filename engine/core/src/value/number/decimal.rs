//! Printing: Go's shortest decimal that reads back as the same float (`roundShortest` in
//! `math/big/ftoa.go`).

use bigdecimal::num_bigint::BigUint;

/// A decimal as Go's `math/big` decimal: the digits without trailing zeros, and the
/// position of the decimal point (`0.digits * 10^point`).
struct Decimal {
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    /// `mantissa * 2^exponent`, exactly.
    fn new(mantissa: &BigUint, exponent: i64) -> Decimal {
        let (text, fraction_digits) = if exponent >= 0 {
            ((mantissa << exponent as u64).to_string(), 0i64)
        } else {
            let k = -exponent;
            ((mantissa * BigUint::from(5u32).pow(k as u32)).to_string(), k)
        };
        let mut digits = text.into_bytes();
        let point = digits.len() as i64 - fraction_digits;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, point }
    }

    fn at(&self, i: usize) -> u8 {
        self.digits.get(i).copied().unwrap_or(b'0')
    }

    fn round_down(&mut self, n: usize) {
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }

    fn round_up(&mut self, n: usize) {
        self.digits.truncate(n);
        while let Some(last) = self.digits.last_mut() {
            if *last < b'9' {
                *last += 1;
                return;
            }
            self.digits.pop();
        }
        // All nines: 0.999 → 1.0
        self.digits.push(b'1');
        self.point += 1;
    }

    fn round(&mut self, n: usize) {
        let up = match self.digits.get(n) {
            Some(b'5') if n + 1 == self.digits.len() => n > 0 && (self.digits[n - 1] - b'0') % 2 == 1,
            Some(d) => *d >= b'5',
            None => false,
        };
        if up { self.round_up(n) } else { self.round_down(n) }
    }

    /// Go's `roundShortest`: the fewest digits that still read back as the float
    /// `mantissa * 2^exponent` of `precision` bits.
    fn round_shortest(&mut self, mantissa: &BigUint, exponent: i64, precision: u32) {
        if self.digits.is_empty() {
            return;
        }
        // Scale the mantissa to precision + 1 bits, so that its last bit is half an ulp.
        let bits = mantissa.bits() as i64;
        let shift = bits - (i64::from(precision) + 1);
        let (m, e) = if shift < 0 {
            (mantissa << (-shift) as u64, exponent + shift)
        } else {
            (mantissa >> shift as u64, exponent + shift)
        };
        let lower = Decimal::new(&(&m - 1u32), e);
        let upper = Decimal::new(&(&m + 1u32), e);
        // The bounds are outputs only when the mantissa is even (ties round to it).
        let inclusive = !m.bit(1);
        for i in 0..self.digits.len() {
            let (l, d, u) = (lower.at(i), self.digits[i], upper.at(i));
            let ok_down = l != d || inclusive && i + 1 == lower.digits.len();
            let ok_up = d != u && (inclusive || d + 1 < u || i + 1 < upper.digits.len());
            match (ok_down, ok_up) {
                (true, true) => return self.round(i + 1),
                (true, false) => return self.round_down(i + 1),
                (false, true) => return self.round_up(i + 1),
                (false, false) => {}
            }
        }
    }
}

/// The digits of `mantissa * 2^exponent` (non-zero, not negative), as few as read back as
/// the same float of `precision` bits.
pub(super) fn shortest_digits(mantissa: &BigUint, exponent: i64, precision: u32) -> String {
    let mut d = Decimal::new(mantissa, exponent);
    d.round_shortest(mantissa, exponent, precision);
    let mut out = String::new();
    if d.point > 0 {
        let whole = (d.point as usize).min(d.digits.len());
        out.extend(d.digits[..whole].iter().map(|&b| b as char));
        out.extend(std::iter::repeat_n('0', d.point as usize - whole));
    } else {
        out.push('0');
    }
    let fraction = d.digits.len() as i64 - d.point;
    if fraction > 0 {
        out.push('.');
        for i in 0..fraction {
            let at = d.point + i;
            out.push(if at < 0 { '0' } else { d.at(at as usize) as char });
        }
    }
    out
}
