"""Views of numpy vectors that Numba does not reference-count, and raw
pointers to them.

Why (``tengen bench board``): Numba reference-counts every array passed to a
compiled function with atomic instructions, and LLVM often fails to prune
them in branchy code; in the board's first version those atomics took about
half of a playout.  Hot entry points therefore rebind their arrays to views
without an owner (``unowned``, ``raw_view``), after which the counting is a
null test.  No library offers this: it needs an LLVM intrinsic (an integer
address cast to a pointer) that ``numba.carray`` can wrap.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from llvmlite import ir
from numba import carray, njit, types
from numba.core.base import BaseContext
from numba.core.typing.templates import Signature
from numba.core import cgutils
from numba.extending import intrinsic, overload

A = TypeVar("A")
# what an intrinsic's typing returns: its signature and the code it generates
Codegen = Callable[[BaseContext, ir.IRBuilder, Signature, list[ir.Value]], ir.Value]


@intrinsic
def _address_as_pointer(typingctx: object, address: types.Integer) -> tuple[Signature, Codegen]:
    """Compiled-code cast of an integer address to ``void *``."""
    def codegen(context: BaseContext, builder: ir.IRBuilder, signature: Signature,
                args: list[ir.Value]) -> ir.Value:
        return builder.inttoptr(args[0], cgutils.voidptr_t)
    return types.voidptr(address), codegen


@njit(cache=True)
def raw_view(a: np.ndarray) -> np.ndarray:
    """A view of the contiguous vector ``a`` (a state, a journal, a random
    generator's state) that Numba does not reference-count.

    Why: every compiled call that receives an ordinary array increments and
    decrements its reference count with atomic instructions, and LLVM's
    pruning pass fails to remove them in branchy functions (module notes).  A view made by ``carray`` has no owner, so those operations
    become a null test.  A hot loop in other compiled code can take the view
    once and pass it to every board function; it is valid only while ``a``
    itself is alive.  Raises ValueError for a strided array.
    """
    if a.ndim != 1 or (a.shape[0] > 1 and a.strides[0] != a.itemsize):
        raise ValueError("raw_view needs a contiguous vector")
    # compiled code calls an intrinsic without its typing context
    return carray(_address_as_pointer(a.ctypes.data), a.shape[0], a.dtype)  # type: ignore[call-arg]


def unowned(a: A) -> A:
    """``raw_view(a)`` where that is free: compiled code gets the view for a
    contiguous 1-D array (known from its type) and ``a`` itself otherwise.
    Public functions called once per point by other compiled code (feature
    planes, search) start with ``s = unowned(s)`` so that their argument
    costs no reference counting."""
    return a


# Numba matches an overload's implementation to its typing function
# parameter by parameter, annotations included: both take ``a: Any`` (a
# Numba type in one, the value in the other)

def _itself(a: Any) -> Any:
    return a


@overload(unowned)
def _unowned_compiled(a: Any) -> Callable[[Any], Any]:
    if isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C":
        def view(a: Any) -> Any:
            # compiled code calls an intrinsic without its typing context
            return carray(_address_as_pointer(a.ctypes.data), a.shape[0],  # type: ignore[call-arg]
                          a.dtype)
        return view
    return _itself


@intrinsic
def _data_pointer(typingctx: object, a: types.Array) -> tuple[Signature, Codegen]:
    """Compiled-code pointer to the first element of a contiguous vector."""
    def codegen(context: BaseContext, builder: ir.IRBuilder, signature: Signature,
                args: list[ir.Value]) -> ir.Value:
        return context.make_array(signature.args[0])(context, builder, args[0]).data
    return types.CPointer(a.dtype)(a), codegen


def pointer(a: A) -> A:
    """In compiled code, a raw pointer to the first element of the
    contiguous vector ``a`` (a state, a journal, a random generator's
    state); the identity in Python and for a pointer or any other array.

    Why: indexing a pointer (``p[i]``, ``p[i] = v``) compiles to a bare load
    or store, where indexing an array first maps a negative index to the
    end (a compare and a conditional move per access, which LLVM cannot
    drop: it does not know the index is never negative) and every call that
    passes the array also passes its seven fields and reference-counts it.
    On the board, whose indices are a section plus a point and never
    negative, that took about a seventh of a random playout.  A pointer
    has no length, no slicing and no bounds, and is valid only while ``a``
    is alive: hot functions take it once at their entry point
    (``engine.board.play``, ``engine.playouts.random_playout``).
    """
    return a


@overload(pointer)
def _pointer_compiled(a: Any) -> Callable[[Any], Any]:
    if isinstance(a, types.CPointer):
        return _itself
    if isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C":
        def data(a: Any) -> Any:
            # compiled code calls an intrinsic without its typing context
            return _data_pointer(a)  # type: ignore[call-arg]
        return data
    return _itself
