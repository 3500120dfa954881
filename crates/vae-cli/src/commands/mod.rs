pub mod charts;
pub mod codes;
pub mod eval;
pub mod info;
pub mod lossless;
pub mod pictures;
pub mod train;
