//! When a request that is not full is sent (stream mode): the adaptive linger (pure).
//!
//! A fixed short linger sends part-full requests whenever objects arrive more slowly than
//! one request's worth per linger (68-70 objects of 75 at 3,000 events/s with 20 ms).
//! Instead the dispatcher holds a part-full request while it is still within the latency
//! bound (`delivery.max_linger_ms`, counted from when the dispatcher first held it), and
//! looks again when the objects arriving should have filled it: sooner under load, later
//! when it fills slowly, never later than the bound. It sends at once when the request
//! is full (or a lane's next entry needs a request of its own), and once the bound is
//! reached. While the shared rate budget has no request to spare, waiting costs nothing
//! (the request could not start anyway), so the dispatcher keeps filling until the budget
//! frees up, within the same bound.

use std::time::Duration;

/// The shortest wait between two looks at the lanes: each look reads every free lane,
/// so looking more often than this costs more than it fills.
pub const MIN_LOOK_INTERVAL: Duration = Duration::from_millis(2);

/// The longest wait between two looks when the arrival rate is not known yet.
pub const FIRST_LOOK_INTERVAL: Duration = Duration::from_millis(10);

/// What the dispatcher knows about the request it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Held {
    /// Objects in the request.
    pub objects: usize,
    /// Objects a full request has.
    pub capacity: usize,
    /// How long since the dispatcher first held a request that was not full.
    pub waited: Duration,
    /// Objects per second arriving, as measured between the last two looks (`None`
    /// before the second look, or when nothing arrived).
    pub arriving_per_sec: Option<f64>,
    /// How long until the rate budget lets a request start (zero when it could now).
    pub budget_wait: Duration,
}

/// Send the request now, or look again after a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    LookAgainIn(Duration),
}

/// The decision for a held request under the latency bound `max_linger`.
pub fn decide(held: Held, max_linger: Duration) -> Decision {
    if held.objects >= held.capacity || held.waited >= max_linger {
        return Decision::Send;
    }
    let left = max_linger - held.waited;
    // The budget has no request to spare: the request cannot start before then anyway.
    if held.budget_wait > Duration::ZERO {
        return Decision::LookAgainIn(held.budget_wait.min(left).max(MIN_LOOK_INTERVAL));
    }
    let until_full = match held.arriving_per_sec {
        Some(rate) if rate > 0.0 && rate.is_finite() => {
            let missing = (held.capacity - held.objects) as f64;
            Duration::from_secs_f64((missing / rate).min(left.as_secs_f64()))
        }
        _ => FIRST_LOOK_INTERVAL,
    };
    Decision::LookAgainIn(until_full.clamp(MIN_LOOK_INTERVAL, left.max(MIN_LOOK_INTERVAL)))
}

/// The arrival rate between two looks at the held request: `(objects, at)` then and now.
pub fn arrival_rate(before: (usize, Duration), now: (usize, Duration)) -> Option<f64> {
    let grew = now.0.checked_sub(before.0).filter(|n| *n > 0)?;
    let elapsed = now.1.checked_sub(before.1).filter(|d| !d.is_zero())?;
    Some(grew as f64 / elapsed.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_millis(400);

    fn held(objects: usize, waited_ms: u64, rate: Option<f64>) -> Held {
        Held {
            objects,
            capacity: 75,
            waited: Duration::from_millis(waited_ms),
            arriving_per_sec: rate,
            budget_wait: Duration::ZERO,
        }
    }

    #[test]
    fn a_full_request_is_sent_at_once() {
        assert_eq!(decide(held(75, 0, None), BOUND), Decision::Send);
        assert_eq!(decide(held(80, 0, Some(1.0)), BOUND), Decision::Send);
    }

    #[test]
    fn a_request_at_the_latency_bound_is_sent_however_empty() {
        assert_eq!(decide(held(1, 400, None), BOUND), Decision::Send);
        assert_eq!(decide(held(74, 401, Some(1e6)), BOUND), Decision::Send);
    }

    #[test]
    fn the_dispatcher_looks_again_when_the_arrivals_should_have_filled_the_request() {
        // 3,000 objects/s: 15 missing objects arrive in 5 ms.
        assert_eq!(
            decide(held(60, 20, Some(3000.0)), BOUND),
            Decision::LookAgainIn(Duration::from_millis(5))
        );
        // 1,000 objects/s: 45 missing in 45 ms.
        assert_eq!(
            decide(held(30, 0, Some(1000.0)), BOUND),
            Decision::LookAgainIn(Duration::from_millis(45))
        );
    }

    #[test]
    fn a_slowly_filling_request_waits_no_longer_than_the_bound() {
        // 10 objects/s would need 7 s; 100 ms of the bound are left.
        assert_eq!(
            decide(held(5, 300, Some(10.0)), BOUND),
            Decision::LookAgainIn(Duration::from_millis(100))
        );
    }

    #[test]
    fn without_a_known_rate_the_first_look_comes_soon() {
        assert_eq!(
            decide(held(10, 0, None), BOUND),
            Decision::LookAgainIn(FIRST_LOOK_INTERVAL)
        );
        // ... and never after the bound.
        assert_eq!(
            decide(held(10, 395, None), BOUND),
            Decision::LookAgainIn(Duration::from_millis(5))
        );
    }

    #[test]
    fn looks_are_never_closer_than_the_minimum_interval() {
        assert_eq!(
            decide(held(74, 0, Some(1e9)), BOUND),
            Decision::LookAgainIn(MIN_LOOK_INTERVAL)
        );
    }

    #[test]
    fn while_the_rate_budget_is_spent_the_request_keeps_filling_within_the_bound() {
        let mut h = held(40, 100, Some(100_000.0));
        h.budget_wait = Duration::from_millis(120);
        assert_eq!(
            decide(h, BOUND),
            Decision::LookAgainIn(Duration::from_millis(120))
        );
        h.waited = Duration::from_millis(350);
        assert_eq!(
            decide(h, BOUND),
            Decision::LookAgainIn(Duration::from_millis(50))
        );
        h.waited = BOUND;
        assert_eq!(decide(h, BOUND), Decision::Send);
    }

    #[test]
    fn the_arrival_rate_is_growth_over_time_and_unknown_without_growth() {
        let ms = Duration::from_millis;
        assert_eq!(arrival_rate((10, ms(0)), (40, ms(10))), Some(3000.0));
        assert_eq!(arrival_rate((40, ms(0)), (40, ms(10))), None);
        // A request sent in between (fewer objects now) is not negative growth.
        assert_eq!(arrival_rate((40, ms(0)), (5, ms(10))), None);
        assert_eq!(arrival_rate((1, ms(10)), (5, ms(10))), None);
    }
}
