//! Each native operation is written once, as one future, and handed back to Python either as
//! its result (a blocking call: the GIL is released while it runs, Ctrl-C aware) or as an
//! awaitable (`aio=True`, used by `rocketmq.aio`; see `aio_bridge`). Errors map to the operation's exception
//! class either way.

use pyo3::prelude::*;
use rocketmq_client::Error;
use std::future::Future;

use crate::aio_bridge;
use crate::blocking;
use crate::errors::{IntoPyResult, Op};
use crate::results::ToPython;

/// Run `fut` for `op`: blocking unless `aio`, in which case an awaitable is returned.
pub fn drive<'py, T, F>(py: Python<'py>, aio: bool, op: Op, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, Error>> + Send + 'static,
    T: ToPython,
{
    if aio {
        aio_bridge::submit(py, op, fut)
    } else {
        blocking::run(py, fut)?.or_raise(py, op)?.to_python(py)
    }
}
