//! Waiters: poll a status through pending states to a target state, with backoff and a
//! timeout; a failure state or a timeout is an error.
