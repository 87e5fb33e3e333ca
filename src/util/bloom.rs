//! (placeholder: filled by the work that owns this module)
