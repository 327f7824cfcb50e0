"""What a `posukk` command reports as `error: ...` with exit code 2."""


class CommandError(Exception):
    """A request that cannot be carried out; the message says why."""
