//! netlab (under construction).
