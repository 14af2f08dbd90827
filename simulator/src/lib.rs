//! junos-sim (under construction).
