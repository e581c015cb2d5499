//! braze-sim: a Braze REST simulator.
