//! netpool-bench (under construction).
