//! Settings from Python keywords (the names and validation of `netpool::SETTINGS`), devices,
//! and inventories.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors::config_error;

/// A Python value as the text form `PoolConfig::set` parses: durations are seconds (int or
/// float) or strings such as `"250ms"`; `None` disables an optional setting.
fn as_text(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_none() {
        return Ok("none".into());
    }
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.into());
    }
    if let Ok(i) = v.extract::<i64>() {
        return Ok(i.to_string());
    }
    if let Ok(f) = v.extract::<f64>() {
        // Rust prints 1e-5 as 0.00001: the parser takes no exponent.
        return Ok(format!("{f}"));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s.extract::<String>();
    }
    if let Ok(items) = v.extract::<Vec<String>>() {
        return Ok(items.join(","));
    }
    Err(PyTypeError::new_err(format!(
        "expected a number, a string, a bool or None, not {}",
        v.get_type().name()?
    )))
}

/// Apply keyword settings over `cfg`. An unknown name is `TypeError` (as for any unknown
/// keyword); a bad value is `netpool.ConfigError` (a `ValueError`) naming the setting.
pub fn apply(
    py: Python<'_>,
    cfg: &mut netpool::PoolConfig,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let Some(kwargs) = kwargs else { return Ok(()) };
    // The policy first, so that a file or fingerprints given beside it refine it.
    let mut items: Vec<(String, Bound<'_, PyAny>)> = kwargs
        .iter()
        .map(|(k, v)| Ok((k.extract::<String>()?, v)))
        .collect::<PyResult<_>>()?;
    items.sort_by_key(|(k, _)| (k != "host_key_policy", k == "pinned_fingerprints"));
    for (k, v) in items {
        if !netpool::SETTINGS.contains(&k.as_str()) {
            return Err(PyTypeError::new_err(format!(
                "unexpected keyword argument {k:?}; the settings are: {}",
                netpool::SETTINGS.join(", ")
            )));
        }
        let text = as_text(&v).map_err(|e| {
            config_error(
                py,
                Some(&k),
                format!("invalid setting {k}: {}", e.value(py)),
            )
        })?;
        cfg.set(&k, &text, &k)
            .map_err(|e| config_error(py, Some(&k), e.to_string()))?;
    }
    cfg.validate().map_err(|e| {
        let setting = match &e {
            netpool::Error::Config { setting, .. } => Some(setting.clone()),
            _ => None,
        };
        config_error(py, setting.as_deref(), e.to_string())
    })
}

/// A device: where it is and who we are on it. Two `Device`s with the same address, port,
/// user and credentials share sessions. The password is never shown.
#[pyclass(frozen, module = "netpool", from_py_object)]
#[derive(Clone)]
pub struct Device {
    pub inner: netpool::Device,
    /// The name it has in an inventory (or was given), if any.
    #[pyo3(get)]
    pub name: Option<String>,
}

#[pymethods]
impl Device {
    #[new]
    #[pyo3(signature = (host, username, password=None, key_path=None, port=22, *, passphrase=None, host_keys=None, name=None))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        host: String,
        username: String,
        password: Option<String>,
        key_path: Option<PathBuf>,
        port: u16,
        passphrase: Option<String>,
        host_keys: Option<Vec<String>>,
        name: Option<String>,
    ) -> PyResult<Self> {
        let auth = match (key_path, password) {
            (Some(path), Some(password)) => netpool::Auth::KeyThenPassword { path, password },
            (Some(path), None) => netpool::Auth::KeyFile { path, passphrase },
            (None, Some(p)) => netpool::Auth::Password(p),
            (None, None) => {
                return Err(config_error(
                    py,
                    Some("password"),
                    format!("{username}@{host}:{port}: no credentials: give password or key_path"),
                ))
            }
        };
        let mut inner = netpool::Device::new(host, port, username, auth);
        if let Some(keys) = host_keys {
            if let Some(bad) = keys.iter().find(|k| !k.starts_with("SHA256:")) {
                return Err(config_error(
                    py,
                    Some("host_keys"),
                    format!("host_keys: {bad:?} is not a SHA256:... fingerprint"),
                ));
            }
            inner = inner.with_host_keys(keys);
        }
        Ok(Device { inner, name })
    }

    /// `user@host:port`.
    #[getter]
    fn label(&self) -> &str {
        self.inner.label()
    }

    #[getter]
    fn host(&self) -> &str {
        self.inner.host()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.inner.port()
    }

    #[getter]
    fn username(&self) -> &str {
        self.inner.user()
    }

    #[getter]
    fn host_keys(&self) -> Vec<String> {
        self.inner.host_keys().to_vec()
    }

    fn __repr__(&self) -> String {
        match &self.name {
            Some(n) => format!("Device({n:?}, {})", self.inner.label()),
            None => format!("Device({})", self.inner.label()),
        }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Device>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }
}

/// The devices a pool knows by name, in order.
#[derive(Default, Clone)]
pub struct Devices {
    pub order: Vec<Device>,
    by_name: HashMap<String, usize>,
}

impl Devices {
    pub fn push(&mut self, d: Device) {
        if let Some(n) = &d.name {
            self.by_name.insert(n.clone(), self.order.len());
        }
        self.order.push(d);
    }

    /// A `Device`, or the name of one.
    pub fn resolve(&self, py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<netpool::Device> {
        if let Ok(dev) = d.cast::<Device>() {
            return Ok(dev.get().inner.clone());
        }
        if let Ok(name) = d.extract::<String>() {
            return match self.by_name.get(&name) {
                Some(&i) => Ok(self.order[i].inner.clone()),
                None => {
                    let known: Vec<&str> = self
                        .order
                        .iter()
                        .filter_map(|d| d.name.as_deref())
                        .take(20)
                        .collect();
                    Err(pyo3::exceptions::PyKeyError::new_err(format!(
                        "no device named {name:?} (known: {})",
                        if known.is_empty() {
                            "none: pass a netpool.Device or load an inventory".to_string()
                        } else {
                            known.join(", ")
                        }
                    )))
                }
            };
        }
        let _ = py;
        Err(PyTypeError::new_err(format!(
            "expected a netpool.Device or a device name, not {}",
            d.get_type().name()?
        )))
    }
}

/// Settings and devices for a pool: an inventory file (as `netlab` reads it), devices
/// given in Python, then keyword settings over both.
pub fn pool_setup(
    py: Python<'_>,
    inventory: Option<PathBuf>,
    devices: Option<Vec<Device>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(netpool::PoolConfig, Devices)> {
    let mut cfg = netpool::PoolConfig::default();
    let mut all = Devices::default();
    if let Some(path) = inventory {
        let inv = load_inventory(py, &path)?;
        cfg = inv.pool;
        for d in inv.devices {
            all.push(Device {
                inner: d.device,
                name: Some(d.name),
            });
        }
    }
    for d in devices.unwrap_or_default() {
        all.push(d);
    }
    apply(py, &mut cfg, kwargs)?;
    Ok((cfg, all))
}

fn load_inventory(py: Python<'_>, path: &Path) -> PyResult<netpool::inventory::Inventory> {
    netpool::inventory::Inventory::load(path).map_err(|e| config_error(py, Some("inventory"), e))
}
