//! netpool-tests (under construction).
