"""A reply too large for one frame, cut into pages that each fit. Sans-IO.

The reply's longest list (events, rows, samples, values...) is cut in order; every other field
is repeated on each page. The connection sends the first page with a `more` cursor and keeps
the rest for `{"op":"more","cursor":...}` (docs/protocol.md, "Pages").
"""

from __future__ import annotations

from collections import OrderedDict, deque

import msgspec

from emulator.protocol.errors import UNKNOWN_CURSOR, ProtocolError
from emulator.protocol.framing import Message, encode

#: Room on each page for the `more` field and its cursor.
CURSOR_ROOM = 48
#: Results a connection keeps pages of; a further one forgets the oldest.
MAX_CURSORS = 4

_encoder = msgspec.json.Encoder()


def split(message: Message, limit: int) -> list[Message] | None:
    """`message` as pages that each encode within `limit` bytes (cursor room kept), or None
    when it has no list to cut or one item of it alone is too large."""
    lists = [k for k, v in message.items() if isinstance(v, list) and v]
    if not lists:
        return None
    name = max(lists, key=lambda k: len(message[k]))
    budget = limit - len(encode({**message, name: []})) - CURSOR_ROOM
    pages: list[list[object]] = [[]]
    used = 0
    for item in message[name]:
        size = len(_encoder.encode(item)) + 1  # and its comma
        if size > budget:
            return None
        if used + size > budget:
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += size
    return [{**message, name: page} for page in pages]


class Pages:
    """The pages still to send of a connection's large results, by cursor."""

    def __init__(self) -> None:
        self._left: OrderedDict[str, deque[Message]] = OrderedDict()
        self._made = 0

    def first(self, pages: list[Message]) -> Message:
        """The first page, with a cursor for the rest."""
        self._made += 1
        cursor = f"c{self._made}"
        self._left[cursor] = deque(pages[1:])
        while len(self._left) > MAX_CURSORS:
            self._left.popitem(last=False)
        return {**pages[0], "more": cursor}

    def next(self, rid: object, cursor: object) -> Message:
        """The next page of `cursor` as the reply to request `rid`; `more` while others follow."""
        left = self._left.get(cursor) if isinstance(cursor, str) else None
        if not left or not isinstance(cursor, str):
            raise ProtocolError(
                UNKNOWN_CURSOR,
                f"{cursor!r}: a cursor is good until its last page, for the {MAX_CURSORS} "
                "newest results of this connection",
            )
        page = {**left.popleft(), "id": rid}
        if left:
            return {**page, "more": cursor}
        del self._left[cursor]
        return page
