//! netpool (under construction).
