//! (placeholder: filled by the work that owns this module)

/// Version edits: the records of a MANIFEST (formats.md §9).
pub mod edit;
