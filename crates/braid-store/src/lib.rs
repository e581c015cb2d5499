//! Embedded storage backend.
