//! Nothing here: the comparison is `benches/authorize.rs` (`cargo bench` in this directory).
