//! netchaos (under construction).
