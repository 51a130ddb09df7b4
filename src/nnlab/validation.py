"""Argument checks shared by the public functions of nnlab.

Each check raises ``ValueError`` naming the argument, the value received and what is allowed,
before any work is done.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch

__all__ = ["check_int", "check_real", "check_choice", "check_bool", "check_tensor", "check_float_dtype",
           "check_real_array"]


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_real(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` inside the given (open or closed) interval.

    ``low``/``high`` of ``None`` (or an infinite bound) mean no bound on that side; a NaN bound
    is an error.
    """
    for bound, given in (("low", low), ("high", high)):
        if given is not None and given != given:
            raise ValueError(f"{bound} must be a number or None (no bound), got NaN")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value}")
    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    allowed = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must lie in {allowed}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must lie in {allowed}, got {value}")
    return value


def check_choice(name: str, value: object, choices: Iterable[object]) -> object:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool`` (a string such as ``"False"`` is rejected, not read as true)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _as_tensor(name: str, value: object) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (list, tuple, np.ndarray, numbers.Number)) and not isinstance(value, (str, bool)):
        try:
            return torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(f"{name} must be a tensor (or an array-like of numbers), got {value!r:.80}") from err
    raise ValueError(f"{name} must be a tensor, got {type(value).__name__}")


def check_tensor(
    name: str,
    value: object,
    shape: str | Sequence[str | int] | None = None,
    *,
    dims: dict[str, int] | None = None,
    floating: bool = True,
    finite: bool = True,
    dtype: torch.dtype | None = None,
    nonempty: bool = True,
) -> torch.Tensor:
    """Return ``value`` as a tensor after checking its shape, dtype and values.

    Args:
        name: the argument's name, used in the message.
        value: a tensor; a list, tuple, number or numpy array is converted with ``torch.as_tensor``.
        shape: a shape spec, ``"M n d_in"`` or ``("M", "n", 5)``: one entry per dimension, an
            integer for a fixed size, a name for a size that must agree wherever the same name
            appears (in this call and in the other calls sharing ``dims``), ``"*"`` for any size;
            a leading ``"..."`` allows any number of batch dimensions before the named ones
            (``"... d_in"``). ``None`` accepts any shape.
        dims: sizes bound so far, ``{name: size}``; updated in place with the new bindings, so
            consecutive calls check that the arguments agree (``x [n, d]`` with ``y [n]``).
        floating: require a real floating dtype (integer, bool and complex tensors are rejected,
            since arithmetic on them silently truncates).
        finite: reject NaN and infinite entries (checked for floating tensors).
        dtype: when given, cast to this dtype (e.g. float64 data into a float32 model).
        nonempty: reject tensors with no entries.

    Raises:
        ValueError: naming ``name``, what was received and what is allowed.
    """
    x = _as_tensor(name, value)
    if floating:
        if x.dtype in (torch.bool,) or not (x.is_floating_point()):
            if isinstance(value, torch.Tensor) or x.is_complex():
                raise ValueError(f"{name} must be a real floating-point tensor, got dtype {x.dtype}")
            x = x.to(torch.get_default_dtype())  # a list or array of ints: the friendly conversion
    if nonempty and x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if shape is not None:
        _check_shape(name, x, shape, dims if dims is not None else {})
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    if finite and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must hold finite values only (no NaN or inf)")
    return x


def _check_shape(name: str, x: torch.Tensor, shape: str | Sequence[str | int], dims: dict[str, int]) -> None:
    spec = shape.split() if isinstance(shape, str) else list(shape)
    label = "[" + ", ".join(str(s) for s in spec) + "]"
    if spec[:1] == ["..."]:  # any number of leading batch dimensions
        spec = spec[1:]
        if x.ndim < len(spec):
            raise ValueError(f"{name} must have shape {label} (at least {len(spec)} dimensions), got {tuple(x.shape)}")
        sizes = x.shape[x.ndim - len(spec):]
    else:
        if x.ndim != len(spec):
            raise ValueError(f"{name} must have shape {label} ({len(spec)} dimensions), got {tuple(x.shape)}")
        sizes = x.shape
    for size, want in zip(sizes, spec):
        if want == "*":
            continue
        if isinstance(want, int) or (isinstance(want, str) and want.isdigit()):
            if size != int(want):
                raise ValueError(f"{name} must have shape {label}, got {tuple(x.shape)}")
            continue
        if want in dims and dims[want] != size:
            raise ValueError(f"{name} must have shape {label} with {want} = {dims[want]} (as in the other "
                             f"arguments), got {tuple(x.shape)}")
        dims[want] = size


def check_float_dtype(name: str, dtype: object) -> torch.dtype:
    """Return ``dtype`` if it is a real floating torch dtype (an integer dtype would truncate the values)."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"{name} must be a floating torch dtype (torch.float32 or torch.float64), got {dtype!r}")
    return dtype


def check_real_array(name: str, value: object, *, ndim: int | tuple[int, ...] | None = None,
                     positive: bool = False, nonempty: bool = True) -> np.ndarray:
    """Return ``value`` (a tensor, numpy array or nested list of reals) as a float64 numpy array.

    Rejects bool and complex entries, NaN/inf, an empty array (unless ``nonempty=False``), a
    number of dimensions outside ``ndim``, and with ``positive`` any entry ``<= 0``.
    """
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers, got {type(value).__name__}") from err
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"{name} must hold real numbers (integer or float), got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and arr.ndim not in allowed:
        raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    if nonempty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got NaN or inf")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, got minimum {arr.min():g}")
    return arr
