//! Audiences: definitions, criteria and evaluation. Pure: no I/O, time is passed in.
