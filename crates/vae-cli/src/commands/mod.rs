pub mod charts;
pub mod codes;
pub mod eval;
pub mod info;
pub mod pictures;
pub mod train;
