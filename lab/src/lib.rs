//! netlab's library: inventories and the session-pooling proxy, shared by the `netlab`
//! binary and the integration tests.

pub mod inventory;
pub mod limits;
pub mod proxy;
