//! netpool's errors as Python exceptions: one mapping, from the Rust error kinds to the
//! hierarchy of `netpool/errors.py`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use pyo3::BoundObject;

/// Why an awaited or blocking call failed, before it is turned into an exception (which
/// needs the interpreter; futures fail on runtime threads that never touch it).
#[derive(Debug)]
pub enum Failure {
    /// The pool said so; `device` is the device the call was for.
    Pool {
        err: netpool::Error,
        device: Option<String>,
    },
    /// The session or pool object was already closed by its owner.
    Released(&'static str),
}

impl Failure {
    /// A closure that tags a pool error with the device of the call.
    pub fn at(device: &netpool::Device) -> impl Fn(netpool::Error) -> Failure + '_ {
        move |err| Failure::Pool {
            err,
            device: Some(device.label().to_string()),
        }
    }
}

impl From<netpool::Error> for Failure {
    fn from(err: netpool::Error) -> Self {
        Failure::Pool { err, device: None }
    }
}

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let m = ERRORS.get_or_try_init(py, || py.import("netpool.errors").map(|m| m.unbind()))?;
    m.bind(py).getattr(name)
}

/// Build `netpool.errors.<name>(message, device=..., stage=..., **extra)`.
fn raise(
    py: Python<'_>,
    name: &str,
    message: String,
    device: Option<&str>,
    stage: &str,
    extra: &[(&str, Py<PyAny>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kw = PyDict::new(py);
        kw.set_item("device", device)?;
        kw.set_item("stage", stage)?;
        for (k, v) in extra {
            kw.set_item(k, v)?;
        }
        let exc = class(py, name)?.call((message.clone(),), Some(&kw))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// The exception for a bad setting or inventory (also a `ValueError`).
pub fn config_error(py: Python<'_>, setting: Option<&str>, message: String) -> PyErr {
    let s = setting.map(|s| s.into_pyobject(py).unwrap().into_any().unbind());
    let extra: Vec<(&str, Py<PyAny>)> = s.into_iter().map(|v| ("setting", v)).collect();
    raise(py, "ConfigError", message, None, "config", &extra)
}

/// The exception for an object made before `os.fork()` and used in the child.
pub fn fork_error(what: &str, parent: u32) -> PyErr {
    Python::attach(|py| {
        raise(
            py,
            "ForkError",
            format!(
                "this {what} was created in process {parent}, before os.fork(); its sessions belong to that process. Create the pool after forking (in each worker process)"
            ),
            None,
            "fork",
            &[],
        )
    })
}

fn secs(py: Python<'_>, d: std::time::Duration) -> Py<PyAny> {
    d.as_secs_f64()
        .into_pyobject(py)
        .unwrap()
        .into_any()
        .unbind()
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Py<PyAny> {
    match v.into_pyobject(py) {
        Ok(b) => b.into_any().unbind(),
        Err(_) => py.None(),
    }
}

fn rpc_error_list(py: Python<'_>, errors: &[netpool::RpcError]) -> PyResult<Py<PyAny>> {
    let info_cls = class(py, "RpcErrorInfo")?;
    let list = PyList::empty(py);
    for e in errors {
        let info = PyDict::new(py);
        for (k, v) in &e.info {
            info.set_item(k, v)?;
        }
        let bad = e
            .info
            .iter()
            .find(|(k, _)| k == "bad-element")
            .map(|(_, v)| v.as_str());
        let severity = format!("{:?}", e.severity).to_ascii_lowercase();
        list.append(info_cls.call1((
            severity,
            e.tag.as_str(),
            e.error_type.as_str(),
            e.message.as_deref(),
            e.path.as_deref(),
            bad,
            e.app_tag.as_deref(),
            info,
        ))?)?;
    }
    Ok(list.into_any().unbind())
}

/// The one mapping from a failure to its exception. The message names the device and the
/// stage; no secret is ever part of it (the pool's messages carry none).
pub fn to_pyerr(py: Python<'_>, f: Failure) -> PyErr {
    use netpool::Error as E;
    let (err, call_device) = match f {
        Failure::Released(what) => {
            return raise(
                py,
                "PoolClosed",
                format!("this {what} is closed [stage: closed]"),
                None,
                "closed",
                &[],
            )
        }
        Failure::Pool { err, device } => (err, device),
    };
    type Extra<'a> = Vec<(&'a str, Py<PyAny>)>;
    let (name, stage, device, extra): (&str, &str, Option<String>, Extra<'_>) = match &err {
        E::ConnectRefused { device } => ("ConnectRefused", "tcp", Some(device.clone()), vec![]),
        E::ConnectTimeout {
            device,
            after,
            stage,
        } => (
            "ConnectTimeout",
            stage,
            Some(device.clone()),
            vec![("after", secs(py, *after))],
        ),
        E::Connect { device, .. } => ("ConnectError", "tcp", Some(device.clone()), vec![]),
        E::AuthFailed {
            device,
            user,
            methods,
        } => (
            "AuthenticationError",
            "auth",
            Some(device.clone()),
            vec![("user", obj(py, user)), ("methods", obj(py, methods))],
        ),
        E::HostKeyMismatch {
            device,
            fingerprint,
            ..
        }
        | E::HostKeyUnknown {
            device,
            fingerprint,
        }
        | E::HostKeyRevoked {
            device,
            fingerprint,
            ..
        } => (
            "HostKeyError",
            "host-key",
            Some(device.clone()),
            vec![("fingerprint", obj(py, fingerprint))],
        ),
        E::KnownHosts { device, .. } => (
            "HostKeyError",
            "host-key",
            Some(device.clone()),
            vec![("fingerprint", py.None())],
        ),
        E::ChannelRejected { device, .. }
        | E::SubsystemRejected { device, .. }
        | E::ExecRejected { device, .. } => {
            ("ChannelError", "channel", Some(device.clone()), vec![])
        }
        E::Rpc { device, errors, .. } => (
            "RpcError",
            "rpc",
            Some(device.clone()),
            vec![(
                "errors",
                rpc_error_list(py, errors).unwrap_or_else(|_| py.None()),
            )],
        ),
        E::RpcTimeout { device, after } => (
            "RpcTimeout",
            "rpc",
            Some(device.clone()),
            vec![("after", secs(py, *after))],
        ),
        E::CheckoutTimeout { device, after } => (
            "CheckoutTimeout",
            "checkout",
            Some(device.clone()),
            vec![("after", secs(py, *after))],
        ),
        E::CircuitOpen {
            device,
            retry_in,
            failures,
            ..
        } => (
            "CircuitOpen",
            "checkout",
            Some(device.clone()),
            vec![
                ("retry_in", secs(py, *retry_in)),
                ("failures", obj(py, *failures)),
            ],
        ),
        E::Transport { device, .. } => {
            ("TransportError", "transport", Some(device.clone()), vec![])
        }
        E::Protocol { device, .. } => ("ProtocolError", "netconf", Some(device.clone()), vec![]),
        E::InvalidRequest { device, .. } => ("ProtocolError", "rpc", Some(device.clone()), vec![]),
        E::Closed => ("PoolClosed", "closed", None, vec![]),
        E::Config { setting, .. } => (
            "ConfigError",
            "config",
            None,
            vec![("setting", obj(py, setting))],
        ),
        _ => ("Error", "pool", None, vec![]),
    };
    let device = device.or(call_device);
    let mut message = err.to_string();
    if let Some(d) = &device {
        if !message.contains(d.as_str()) {
            message = format!("{d}: {message}");
        }
    }
    message.push_str(&format!(" [stage: {stage}]"));
    raise(py, name, message, device.as_deref(), stage, &extra)
}
