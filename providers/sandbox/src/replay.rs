//! Refusing replayed requests: a SigV4 signature is valid for 15 minutes either side of its
//! `X-Amz-Date`, so a request captured on the wire could otherwise be sent again, byte for
//! byte, and act again (a second VPC). The sandbox remembers every signature it accepted,
//! per access key, until the request it signs has expired, and refuses one it has seen.
//!
//! Memory is bounded: an entry lives only until its request's date + the skew window (after
//! that the signature check refuses the request anyway), and at most [`MAX_ENTRIES`] live at
//! once; beyond that new requests are throttled (429, which clients retry) rather than
//! forgotten, since forgetting would reopen the hole.
//!
//! Legitimate clients never collide: the SDK signs every attempt afresh, with a random
//! nonce header, so even identical requests in the same second have distinct signatures.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Signatures remembered at once (about 150 bytes each: ~30 MB at most). At this many
/// requests per 15-minute window (over 200 a second) the sandbox starts throttling.
pub(crate) const MAX_ENTRIES: usize = 200_000;

/// What [`ReplayCache::admit`] decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    Fresh,
    Replayed,
    /// Too many signatures are live to remember one more.
    Full,
}

#[derive(Default)]
pub(crate) struct ReplayCache {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// `access key` + `/` + signature.
    seen: HashSet<String>,
    /// The same keys by expiry, soonest first, to drop expired ones in order.
    expiries: BinaryHeap<Reverse<(SystemTime, String)>>,
}

impl ReplayCache {
    /// Records the signature of an authenticated request valid until `expires`; says
    /// whether it was new.
    pub(crate) fn admit(&self, access_key: &str, signature: &str, expires: SystemTime, now: SystemTime) -> Admission {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(Reverse((expiry, _))) = entries.expiries.peek()
            && *expiry <= now
        {
            if let Some(Reverse((_, key))) = entries.expiries.pop() {
                entries.seen.remove(&key);
            }
        }
        let key = format!("{access_key}/{signature}");
        if entries.seen.contains(&key) {
            return Admission::Replayed;
        }
        if entries.seen.len() >= MAX_ENTRIES {
            return Admission::Full;
        }
        entries.seen.insert(key.clone());
        entries.expiries.push(Reverse((expires, key)));
        Admission::Fresh
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).seen.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_signature_is_refused_until_it_expires_and_then_forgotten() {
        let cache = ReplayCache::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let expires = t0 + Duration::from_secs(900);
        assert_eq!(cache.admit("AK", "sig", expires, t0), Admission::Fresh);
        assert_eq!(cache.admit("AK", "sig", expires, t0 + Duration::from_secs(899)), Admission::Replayed);
        // Per key: another key's identical signature is another request.
        assert_eq!(cache.admit("AK2", "sig", expires, t0), Admission::Fresh);
        assert_eq!(cache.admit("AK", "other", expires + Duration::from_secs(900), t0), Admission::Fresh);
        // Past the expiry the entry is dropped (the signature check refuses the request now).
        assert_eq!(cache.admit("AK", "x", expires + Duration::from_secs(900), expires), Admission::Fresh);
        assert_eq!(cache.len(), 2);
    }
}
