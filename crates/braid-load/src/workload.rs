//! The workload: a pure, seedable generator of realistic mParticle Events API batches.
//!
//! A workload is a population of `users`; a configurable share of them is anonymous
//! (no `customer_id`, no email, only an MPID), the rest carry `customer_id = user-<i>`
//! and a stable email. Every user has a stable attribute set (`$FirstName`, `$City`,
//! `plan`, `score`, `tags`, …) that is re-sent *in full* with each batch, as the SDKs do;
//! a share of batches (`attribute_churn`) first changes one attribute value. This is
//! what makes braid's delta step measurable: unchanged values cost Braze data points
//! only when a router forwards them anyway.
//!
//! A user's initial profile depends only on `(seed, user index)`. The sequence of
//! batches depends on `(seed, shard index, shard count)`: a sender splits the users into
//! disjoint shards, one per worker, so each user's batches leave in order from one
//! worker. Time is passed in (`now_ms`), so the generator has no clock and no I/O.
//!
//! While generating, the workload counts what it produced ([`WorkloadStats`]) —
//! including, for identified users, the attribute values that really changed — so a
//! report can set Braze's billed data points beside the theoretical minimum.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::AddAssign;

/// Relative weights of the event kinds in a batch (need not sum to anything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventMix {
    /// `custom_event` (search, share, play video, …).
    pub custom: u32,
    /// `screen_view`.
    pub screen_view: u32,
    /// `session_start` / `session_end` (alternating per user).
    pub session: u32,
    /// `commerce_event` with a `purchase` product action carrying 1–5 products.
    pub purchase: u32,
    /// `commerce_event` with another product action (add to cart, view detail, …)
    /// carrying 1–3 products.
    pub commerce_other: u32,
}

impl Default for EventMix {
    fn default() -> Self {
        EventMix {
            custom: 50,
            screen_view: 20,
            session: 10,
            purchase: 8,
            commerce_other: 12,
        }
    }
}

impl EventMix {
    fn total(&self) -> u64 {
        [
            self.custom,
            self.screen_view,
            self.session,
            self.purchase,
            self.commerce_other,
        ]
        .iter()
        .map(|&w| u64::from(w))
        .sum()
    }
}

/// What to generate.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadConfig {
    /// Number of distinct users.
    pub users: u64,
    /// Share of users (0..=1) that are anonymous.
    pub anonymous_share: f64,
    /// Share of batches (0..=1) to an already-seen user that change one attribute value.
    pub attribute_churn: f64,
    /// Events in each batch (0 makes attribute-only batches).
    pub events_per_batch: u32,
    /// Relative weights of the event kinds.
    pub mix: EventMix,
    /// Seed of every random choice.
    pub seed: u64,
    /// Prefix of every `source_request_id`, so that two runs do not de-duplicate each
    /// other's batches.
    pub run_id: String,
}

impl Default for WorkloadConfig {
    fn default() -> Self {
        WorkloadConfig {
            users: 10_000,
            anonymous_share: 0.2,
            attribute_churn: 0.1,
            events_per_batch: 3,
            mix: EventMix::default(),
            seed: 1,
            run_id: "load".to_owned(),
        }
    }
}

/// Why a workload cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkloadError {
    /// `users` is zero.
    #[error("users must be at least 1")]
    NoUsers,
    /// A share is not within 0..=1.
    #[error("{name} must be within 0 and 1, got {value}")]
    ShareOutOfRange {
        /// The option's name.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// Events are wanted but every weight is zero.
    #[error("the event mix has no positive weight")]
    EmptyMix,
    /// The shard does not exist or has no users.
    #[error("shard {index} of {count} is invalid for {users} users")]
    BadShard {
        /// Shard index.
        index: u64,
        /// Shard count.
        count: u64,
        /// Users in the workload.
        users: u64,
    },
}

/// What one generated batch was, for the sender's and the tests' bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchInfo {
    /// Index of the batch's user (`customer_id = user-<user>` unless anonymous).
    pub user: u64,
    /// The user is anonymous.
    pub anonymous: bool,
    /// This is the first batch generated for this user.
    pub first_for_user: bool,
    /// An attribute value was changed before this batch.
    pub churned: bool,
    /// Events in the batch.
    pub events: u32,
}

/// Counts of what was generated, split by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Batches.
    pub batches: u64,
    /// Events of every kind.
    pub events: u64,
    /// Users seen for the first time.
    pub new_users: u64,
    /// Batches that changed an attribute value.
    pub churned_batches: u64,
    /// Attribute values (email included) written for the first time, on new users.
    pub attribute_values_first_set: u64,
    /// Attribute values that changed on a known user.
    pub attribute_values_changed: u64,
    /// `custom_event`s.
    pub custom_events: u64,
    /// `screen_view`s.
    pub screen_views: u64,
    /// `session_start`s.
    pub session_starts: u64,
    /// `session_end`s.
    pub session_ends: u64,
    /// Commerce events with a `purchase` action.
    pub purchase_events: u64,
    /// Products in purchase events.
    pub purchase_products: u64,
    /// Units purchased (the sum of the products' quantities): Braze records a purchase
    /// of quantity N as N purchases, each a data point.
    pub purchase_units: u64,
    /// Commerce events with another product action.
    pub other_commerce_events: u64,
    /// Products in those events.
    pub other_commerce_products: u64,
}

impl Counts {
    /// The fewest Braze data points these batches can cost: every real attribute change
    /// (first values of new users included), one per custom event, screen view, session
    /// start/end, purchased unit (a product bought 3 times is 3 purchases to Braze) and
    /// other commerce product. It assumes Braze's
    /// mParticle defaults for commerce (unbundled: one purchase or item event per
    /// product) with session and screen-view forwarding on, and that the receiver has
    /// never seen these users before the run.
    pub fn min_data_points(&self) -> u64 {
        self.attribute_values_first_set
            + self.attribute_values_changed
            + self.custom_events
            + self.screen_views
            + self.session_starts
            + self.session_ends
            + self.purchase_units
            + self.other_commerce_products
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.batches += o.batches;
        self.events += o.events;
        self.new_users += o.new_users;
        self.churned_batches += o.churned_batches;
        self.attribute_values_first_set += o.attribute_values_first_set;
        self.attribute_values_changed += o.attribute_values_changed;
        self.custom_events += o.custom_events;
        self.screen_views += o.screen_views;
        self.session_starts += o.session_starts;
        self.session_ends += o.session_ends;
        self.purchase_events += o.purchase_events;
        self.purchase_products += o.purchase_products;
        self.purchase_units += o.purchase_units;
        self.other_commerce_events += o.other_commerce_events;
        self.other_commerce_products += o.other_commerce_products;
    }
}

/// Everything generated, and the part generated for identified (forwardable) users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct WorkloadStats {
    /// Every batch.
    pub all: Counts,
    /// Batches of users with a `customer_id` (the only ones Braze receives).
    pub identified: Counts,
}

impl AddAssign for WorkloadStats {
    fn add_assign(&mut self, o: WorkloadStats) {
        self.all += o.all;
        self.identified += o.identified;
    }
}

/// Whether user `index` is anonymous in a workload with this seed and share. Stable:
/// it depends on nothing else.
pub fn is_anonymous(seed: u64, index: u64, share: f64) -> bool {
    unit(splitmix64(seed ^ 0xa0a0_5eed ^ splitmix64(index))) < share
}

/// The `customer_id` of identified user `index`.
pub fn customer_id(index: u64) -> String {
    format!("user-{index}")
}

/// A generator of batches for one shard of the users.
#[derive(Debug)]
pub struct Workload {
    cfg: WorkloadConfig,
    shard_index: u64,
    shard_count: u64,
    shard_len: u64,
    rng: StdRng,
    users: HashMap<u64, User>,
    seq: u64,
    stats: WorkloadStats,
    mix_total: u64,
}

impl Workload {
    /// A generator over all users (one shard).
    pub fn new(cfg: WorkloadConfig) -> Result<Workload, WorkloadError> {
        Workload::shard(cfg, 0, 1)
    }

    /// A generator over the users `i` with `i % count == index`. Shards of one workload
    /// never share a user, so each user's batches stay in order within one shard.
    pub fn shard(cfg: WorkloadConfig, index: u64, count: u64) -> Result<Workload, WorkloadError> {
        if cfg.users == 0 {
            return Err(WorkloadError::NoUsers);
        }
        for (name, value) in [
            ("anonymous share", cfg.anonymous_share),
            ("attribute churn", cfg.attribute_churn),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(WorkloadError::ShareOutOfRange { name, value });
            }
        }
        let mix_total = cfg.mix.total();
        if cfg.events_per_batch > 0 && mix_total == 0 {
            return Err(WorkloadError::EmptyMix);
        }
        if count == 0 || index >= count || count > cfg.users {
            return Err(WorkloadError::BadShard {
                index,
                count,
                users: cfg.users,
            });
        }
        let shard_len = (cfg.users - index).div_ceil(count);
        let rng = StdRng::seed_from_u64(splitmix64(
            cfg.seed ^ splitmix64(index.wrapping_add(1)) ^ splitmix64(count << 32),
        ));
        Ok(Workload {
            cfg,
            shard_index: index,
            shard_count: count,
            shard_len,
            rng,
            users: HashMap::new(),
            seq: 0,
            stats: WorkloadStats::default(),
            mix_total,
        })
    }

    /// What has been generated so far.
    pub fn stats(&self) -> &WorkloadStats {
        &self.stats
    }

    /// Which shard of the users this generator covers (0 for a whole workload).
    pub fn shard_index(&self) -> u64 {
        self.shard_index
    }

    /// The configuration this workload was built from.
    pub fn config(&self) -> &WorkloadConfig {
        &self.cfg
    }

    /// Generate the next batch as a fresh JSON body.
    pub fn next_batch(&mut self, now_ms: i64) -> (Vec<u8>, BatchInfo) {
        let mut out = Vec::with_capacity(2048);
        let info = self.write_batch(now_ms, &mut out);
        (out, info)
    }

    /// Generate the next batch and append its JSON to `out` (so a sender can build a
    /// bulk body, or reuse a buffer, without extra copies).
    pub fn write_batch(&mut self, now_ms: i64, out: &mut Vec<u8>) -> BatchInfo {
        let user_index =
            self.rng.gen_range(0..self.shard_len) * self.shard_count + self.shard_index;
        let seed = self.cfg.seed;
        let share = self.cfg.anonymous_share;
        let mut counts = Counts {
            batches: 1,
            ..Counts::default()
        };
        let first = !self.users.contains_key(&user_index);
        let user = self
            .users
            .entry(user_index)
            .or_insert_with(|| User::new(seed, user_index, share));
        let mut churned = false;
        if first {
            counts.new_users = 1;
            counts.attribute_values_first_set = user.attribute_value_count();
        } else if self.rng.gen_bool(self.cfg.attribute_churn) {
            churned = true;
            counts.churned_batches = 1;
            counts.attribute_values_changed = user.churn(&mut self.rng);
        }

        self.seq += 1;
        let source_request_id = format!("{}-{}-{}", self.cfg.run_id, self.shard_index, self.seq);
        let n = self.cfg.events_per_batch;
        let mut events = Vec::with_capacity(n as usize);
        for j in 0..n {
            // Events of a batch happened before it was sent, a quarter second apart.
            let ts = now_ms - i64::from(n - 1 - j) * 250;
            let message_id = format!("{source_request_id}-{j}");
            let ev = gen_event(
                &mut self.rng,
                &self.cfg.mix,
                self.mix_total,
                user,
                ts,
                message_id,
                &mut counts,
            );
            events.push(ev);
        }
        counts.events = u64::from(n);

        let batch = BatchOut {
            source_request_id: &source_request_id,
            environment: "production",
            schema_version: 2,
            timestamp_unixtime_ms: now_ms,
            mpid: user.mpid,
            user_identities: IdentitiesOut {
                customer_id: user.customer_id.as_deref(),
                email: user.email.as_deref(),
            },
            user_attributes: AttributesOut::of(user),
            device_info: DeviceOut {
                platform: PLATFORMS[(user.index % PLATFORMS.len() as u64) as usize],
                os_version: "17.4",
            },
            events: &events,
        };
        serde_json::to_writer(&mut *out, &batch).expect("serialising to memory cannot fail");

        let info = BatchInfo {
            user: user_index,
            anonymous: user.anonymous,
            first_for_user: first,
            churned,
            events: n,
        };
        self.stats.all += counts;
        if !user.anonymous {
            self.stats.identified += counts;
        }
        info
    }
}

// ---------------------------------------------------------------------------------------
// Users

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kira", "Luca",
    "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen",
    "Yara", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ito",
    "Jansen", "Kowalski", "Lopez", "Müller", "Nakamura", "Okafor", "Petrov", "Rossi", "Singh",
    "Tanaka", "Varga", "Weber", "Yilmaz",
];
const GENDERS: &[&str] = &["F", "M", "F", "M", "O"];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "DE"),
    ("Hamburg", "DE"),
    ("Munich", "DE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("London", "GB"),
    ("Manchester", "GB"),
    ("New York", "US"),
    ("Austin", "US"),
    ("San Francisco", "US"),
    ("Toronto", "CA"),
    ("Tokyo", "JP"),
    ("São Paulo", "BR"),
    ("Sydney", "AU"),
    ("Madrid", "ES"),
    ("Amsterdam", "NL"),
];
const PLANS: &[&str] = &["free", "basic", "plus", "pro", "enterprise"];
const TAGS: &[&str] = &[
    "early-adopter",
    "newsletter",
    "vip",
    "beta",
    "mobile",
    "desktop",
    "sports",
    "music",
    "travel",
    "cooking",
    "gaming",
    "books",
];
const PLATFORMS: &[&str] = &["iOS", "Android", "web"];

/// The state of one simulated user.
#[derive(Debug)]
struct User {
    index: u64,
    anonymous: bool,
    customer_id: Option<String>,
    email: Option<String>,
    mpid: Option<i64>,
    first_name: &'static str,
    last_name: &'static str,
    gender: &'static str,
    age: u32,
    city: usize,
    plan: usize,
    score: i64,
    newsletter: bool,
    tags: Vec<&'static str>,
    session: Option<Session>,
    next_session_id: i64,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    id: i64,
    start_ms: i64,
}

impl User {
    fn new(seed: u64, index: u64, anonymous_share: f64) -> User {
        // The profile depends only on (seed, index): the same user looks the same in
        // every run and under every sharding.
        let mut rng = StdRng::seed_from_u64(splitmix64(seed ^ splitmix64(index ^ 0x5eed_0001)));
        let anonymous = is_anonymous(seed, index, anonymous_share);
        let first_name = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last_name = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        let (customer_id, email, mpid) = if anonymous {
            // Anonymous users are known only by an MPID the SDK was given; keep it
            // positive and away from small numbers so it never collides with an index.
            let mpid = (splitmix64(seed ^ index ^ 0x0a70_0000) >> 2) as i64 | (1 << 60);
            (None, None, Some(mpid))
        } else {
            let email = format!(
                "{}.{}.{index}@example.com",
                ascii_lower(first_name),
                ascii_lower(last_name)
            );
            (Some(customer_id(index)), Some(email), None)
        };
        let mut tags = Vec::new();
        for _ in 0..rng.gen_range(0..=3) {
            let t = TAGS[rng.gen_range(0..TAGS.len())];
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        User {
            index,
            anonymous,
            customer_id,
            email,
            mpid,
            first_name,
            last_name,
            gender: GENDERS[rng.gen_range(0..GENDERS.len())],
            age: rng.gen_range(18..=75),
            city: rng.gen_range(0..CITIES.len()),
            plan: rng.gen_range(0..PLANS.len()),
            score: rng.gen_range(0..1000),
            newsletter: rng.gen_bool(0.5),
            tags,
            session: None,
            next_session_id: (index as i64 & 0xffff_ffff) << 20,
        }
    }

    /// Attribute values a receiver stores for this user: the user attributes, plus the
    /// email identity (Braze bills `email` as an attribute).
    fn attribute_value_count(&self) -> u64 {
        AttributesOut::FIELDS + u64::from(self.email.is_some())
    }

    /// Change one attribute value (never to the value it already has); returns how many
    /// attribute values changed (a move to another country changes `$Country` too).
    fn churn(&mut self, rng: &mut StdRng) -> u64 {
        match rng.gen_range(0..5) {
            0 => {
                self.score += rng.gen_range(1..=50);
                1
            }
            1 => {
                self.plan = (self.plan + rng.gen_range(1..PLANS.len())) % PLANS.len();
                1
            }
            2 => {
                self.newsletter = !self.newsletter;
                1
            }
            3 => {
                let old_country = CITIES[self.city].1;
                self.city = (self.city + rng.gen_range(1..CITIES.len())) % CITIES.len();
                1 + u64::from(CITIES[self.city].1 != old_country)
            }
            _ => {
                // Toggle one tag: add it when absent, remove it when present. The whole
                // list is one value.
                let t = TAGS[rng.gen_range(0..TAGS.len())];
                if let Some(pos) = self.tags.iter().position(|x| *x == t) {
                    self.tags.remove(pos);
                } else {
                    self.tags.push(t);
                }
                1
            }
        }
    }

    fn open_session(&mut self, now_ms: i64) -> Session {
        self.next_session_id += 1;
        let s = Session {
            id: self.next_session_id,
            start_ms: now_ms,
        };
        self.session = Some(s);
        s
    }
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Events

const CUSTOM_EVENTS: &[(&str, &str)] = &[
    ("Search", "search"),
    ("Add To Favorites", "user_preference"),
    ("Share", "social"),
    ("Play Video", "media"),
    ("View Article", "navigation"),
    ("Rate Item", "user_content"),
    ("Open Notification Center", "navigation"),
    ("Level Up", "other"),
];
const SOURCES: &[&str] = &["home", "search", "push", "email", "deeplink"];
const SCREENS: &[&str] = &[
    "Home", "Search", "Product", "Cart", "Checkout", "Settings", "Profile", "Orders",
];
const OTHER_ACTIONS: &[&str] = &[
    "add_to_cart",
    "remove_from_cart",
    "view_detail",
    "add_to_wishlist",
    "checkout",
    "click",
];
/// (sku, name, brand, category, price)
const PRODUCTS: &[(&str, &str, &str, &str, f64)] = &[
    ("SKU-1001", "Trail Shoe", "Northpeak", "Shoes", 89.99),
    ("SKU-1002", "Running Sock", "Northpeak", "Apparel", 9.5),
    ("SKU-1003", "Rain Jacket", "Cloudline", "Apparel", 149.0),
    ("SKU-1004", "Water Bottle", "Hydra", "Accessories", 19.99),
    ("SKU-1005", "Headlamp", "Lumen", "Gear", 34.95),
    ("SKU-1006", "Daypack 20L", "Cloudline", "Bags", 74.5),
    ("SKU-1007", "Energy Bar", "Fuelup", "Food", 2.49),
    ("SKU-1008", "Cap", "Northpeak", "Apparel", 24.0),
    ("SKU-1009", "Trekking Pole", "Summit", "Gear", 59.9),
    ("SKU-1010", "Sunglasses", "Lumen", "Accessories", 119.0),
    ("SKU-1011", "Thermal Mug", "Hydra", "Accessories", 27.5),
    ("SKU-1012", "Tent 2P", "Summit", "Gear", 329.0),
];
const CURRENCIES: &[&str] = &["USD", "EUR", "GBP"];

fn gen_event<'a>(
    rng: &mut StdRng,
    mix: &EventMix,
    mix_total: u64,
    user: &mut User,
    ts: i64,
    source_message_id: String,
    counts: &mut Counts,
) -> EventOut<'a> {
    let mut pick = rng.gen_range(0..mix_total);
    let mut kind = 0;
    for (i, w) in [
        mix.custom,
        mix.screen_view,
        mix.session,
        mix.purchase,
        mix.commerce_other,
    ]
    .into_iter()
    .enumerate()
    {
        let w = u64::from(w);
        if pick < w {
            kind = i;
            break;
        }
        pick -= w;
    }
    match kind {
        0 => {
            counts.custom_events += 1;
            let (name, kind) = CUSTOM_EVENTS[rng.gen_range(0..CUSTOM_EVENTS.len())];
            EventOut::CustomEvent(CustomOut {
                event_name: name,
                custom_event_type: kind,
                common: common(user, ts, source_message_id),
                custom_attributes: CustomAttrs {
                    source: SOURCES[rng.gen_range(0..SOURCES.len())],
                    item_id: rng.gen_range(1..5000),
                    value: f64::from(rng.gen_range(0..10_000)) / 100.0,
                    premium: rng.gen_bool(0.3),
                },
            })
        }
        1 => {
            counts.screen_views += 1;
            EventOut::ScreenView(ScreenOut {
                screen_name: SCREENS[rng.gen_range(0..SCREENS.len())],
                activity_type: "view",
                common: common(user, ts, source_message_id),
            })
        }
        2 => match user.session {
            // Sessions alternate per user: a start when none is open, else an end.
            None => {
                counts.session_starts += 1;
                let s = user.open_session(ts);
                EventOut::SessionStart(CommonOut {
                    timestamp_unixtime_ms: ts,
                    source_message_id,
                    session_id: Some(s.id),
                })
            }
            Some(s) => {
                counts.session_ends += 1;
                user.session = None;
                EventOut::SessionEnd(SessionEndOut {
                    session_duration_ms: (ts - s.start_ms).max(1),
                    common: CommonOut {
                        timestamp_unixtime_ms: ts,
                        source_message_id,
                        session_id: Some(s.id),
                    },
                })
            }
        },
        3 => {
            counts.purchase_events += 1;
            let products = gen_products(rng, 1..=5);
            counts.purchase_products += products.len() as u64;
            counts.purchase_units += products.iter().map(|p| p.quantity as u64).sum::<u64>();
            let subtotal: f64 = products.iter().map(|p| p.total_product_amount).sum();
            let tax = cents(subtotal * 0.08);
            let shipping = if subtotal > 100.0 { 0.0 } else { 4.95 };
            let transaction_id = format!("T-{source_message_id}");
            EventOut::CommerceEvent(CommerceOut {
                currency_code: CURRENCIES[rng.gen_range(0..CURRENCIES.len())],
                product_action: ProductActionOut {
                    action: "purchase",
                    transaction_id: Some(transaction_id),
                    total_amount: Some(cents(subtotal + tax + shipping)),
                    tax_amount: Some(tax),
                    shipping_amount: Some(shipping),
                    affiliation: Some("app-store"),
                    products,
                },
                common: common(user, ts, source_message_id),
            })
        }
        _ => {
            counts.other_commerce_events += 1;
            let products = gen_products(rng, 1..=3);
            counts.other_commerce_products += products.len() as u64;
            EventOut::CommerceEvent(CommerceOut {
                currency_code: "USD",
                product_action: ProductActionOut {
                    action: OTHER_ACTIONS[rng.gen_range(0..OTHER_ACTIONS.len())],
                    transaction_id: None,
                    total_amount: None,
                    tax_amount: None,
                    shipping_amount: None,
                    affiliation: None,
                    products,
                },
                common: common(user, ts, source_message_id),
            })
        }
    }
}

fn gen_products(rng: &mut StdRng, count: std::ops::RangeInclusive<usize>) -> Vec<ProductOut> {
    let n = rng.gen_range(count);
    (0..n)
        .map(|pos| {
            let (id, name, brand, category, price) = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
            let quantity = rng.gen_range(1..=3);
            ProductOut {
                id,
                name,
                brand,
                category,
                position: pos as i64 + 1,
                price,
                quantity: f64::from(quantity),
                total_product_amount: cents(price * f64::from(quantity)),
            }
        })
        .collect()
}

fn common(user: &User, ts: i64, source_message_id: String) -> CommonOut {
    CommonOut {
        timestamp_unixtime_ms: ts,
        source_message_id,
        // Only an explicit session_start opens a session, so starts and ends balance;
        // events outside a session carry no session id, as SDK events before the first
        // session do.
        session_id: user.session.map(|s| s.id),
    }
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

// ---------------------------------------------------------------------------------------
// Wire shapes (serialise only; borrowed so a batch costs few allocations)

#[derive(Serialize)]
struct BatchOut<'a> {
    source_request_id: &'a str,
    environment: &'static str,
    schema_version: u32,
    timestamp_unixtime_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    mpid: Option<i64>,
    user_identities: IdentitiesOut<'a>,
    user_attributes: AttributesOut<'a>,
    device_info: DeviceOut,
    events: &'a [EventOut<'a>],
}

#[derive(Serialize)]
struct IdentitiesOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
}

#[derive(Serialize)]
struct AttributesOut<'a> {
    #[serde(rename = "$FirstName")]
    first_name: &'a str,
    #[serde(rename = "$LastName")]
    last_name: &'a str,
    #[serde(rename = "$Gender")]
    gender: &'a str,
    #[serde(rename = "$Age")]
    age: u32,
    #[serde(rename = "$City")]
    city: &'a str,
    #[serde(rename = "$Country")]
    country: &'a str,
    plan: &'a str,
    score: i64,
    newsletter: bool,
    tags: &'a [&'static str],
}

impl<'a> AttributesOut<'a> {
    /// Number of fields above; keep in step with the struct.
    const FIELDS: u64 = 10;

    fn of(u: &'a User) -> AttributesOut<'a> {
        AttributesOut {
            first_name: u.first_name,
            last_name: u.last_name,
            gender: u.gender,
            age: u.age,
            city: CITIES[u.city].0,
            country: CITIES[u.city].1,
            plan: PLANS[u.plan],
            score: u.score,
            newsletter: u.newsletter,
            tags: &u.tags,
        }
    }
}

#[derive(Serialize)]
struct DeviceOut {
    platform: &'static str,
    os_version: &'static str,
}

#[derive(Serialize)]
#[serde(tag = "event_type", content = "data", rename_all = "snake_case")]
enum EventOut<'a> {
    CustomEvent(CustomOut<'a>),
    ScreenView(ScreenOut<'a>),
    SessionStart(CommonOut),
    SessionEnd(SessionEndOut),
    CommerceEvent(CommerceOut<'a>),
}

#[derive(Serialize)]
struct CommonOut {
    timestamp_unixtime_ms: i64,
    source_message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<i64>,
}

#[derive(Serialize)]
struct CustomOut<'a> {
    event_name: &'a str,
    custom_event_type: &'a str,
    #[serde(flatten)]
    common: CommonOut,
    custom_attributes: CustomAttrs<'a>,
}

#[derive(Serialize)]
struct CustomAttrs<'a> {
    source: &'a str,
    item_id: u32,
    value: f64,
    premium: bool,
}

#[derive(Serialize)]
struct ScreenOut<'a> {
    screen_name: &'a str,
    activity_type: &'a str,
    #[serde(flatten)]
    common: CommonOut,
}

#[derive(Serialize)]
struct SessionEndOut {
    session_duration_ms: i64,
    #[serde(flatten)]
    common: CommonOut,
}

#[derive(Serialize)]
struct CommerceOut<'a> {
    currency_code: &'a str,
    product_action: ProductActionOut<'a>,
    #[serde(flatten)]
    common: CommonOut,
}

#[derive(Serialize)]
struct ProductActionOut<'a> {
    action: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tax_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    affiliation: Option<&'a str>,
    products: Vec<ProductOut>,
}

#[derive(Serialize)]
struct ProductOut {
    id: &'static str,
    name: &'static str,
    brand: &'static str,
    category: &'static str,
    position: i64,
    price: f64,
    quantity: f64,
    total_product_amount: f64,
}

// ---------------------------------------------------------------------------------------
// Hashing helpers

/// SplitMix64: a cheap, well-mixed hash used to derive independent seeds.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A hash mapped to [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}
