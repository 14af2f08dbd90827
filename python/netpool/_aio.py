"""The asyncio future netpool's awaitables are made of."""

import asyncio


class NetpoolFuture(asyncio.Future):  # type: ignore[type-arg]
    """An asyncio future that netpool's runtime completes. Cancelling it (a task being
    cancelled while it awaits it, ``asyncio.wait_for`` expiring) aborts the Rust work at
    once; the pool then hands back whatever that work held."""

    __slots__ = ("_netpool_abort",)

    def cancel(self, msg=None):  # type: ignore[no-untyped-def]
        abort = getattr(self, "_netpool_abort", None)
        if abort is not None:
            abort()
        return super().cancel(msg)
