"""node's inspect dump of an error (console.error(err), an uncaught error): head, stack, own props."""

from __future__ import annotations

import re

from triage.model import Event, Link

NODE_HEAD = re.compile(r"^(?P<type>[A-Za-z_$][\w$]*)(?: \[[\w-]+\])?: (?P<msg>.*)$")
NODE_PROP = re.compile(r"^(?P<ind> +)(?P<key>\[?[\w$]+\]?|'[^']*'): (?P<val>.*?),?$")
JS_ESCAPES = re.compile(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)")
JS_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def is_node_head(line: str) -> bool:
    """``error: ...``, ``PostgresError: ...``, ``Error [ERR_X]: ...``: what heads a JS stack."""
    m = NODE_HEAD.match(line)
    return m is not None and m.group("type").endswith(("error", "Error", "Exception"))


def js_value(text: str) -> object:
    """A scalar as util.inspect prints it; undefined -> None, anything unknown kept as text."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        return JS_ESCAPES.sub(_unescape, text[1:-1])
    if text in ("undefined", "null"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _unescape(m: re.Match[str]) -> str:
    esc = m.group(1)
    if esc[0] in "ux" and len(esc) > 1:
        return chr(int(esc[1:], 16))
    return JS_SIMPLE.get(esc, esc)


class NodeDump:
    """console.error(err) / an uncaught error: head, ``    at`` stack, ``{ own: props }`` block."""

    def __init__(self, no: int, head: str, *more: str) -> None:
        """``more``: the message's lines after the head's (Prisma prints its message there)."""
        m = NODE_HEAD.match(head)
        assert m is not None
        self.start = self.end = no
        message = "\n".join((m.group("msg"), *more))
        self.err: dict[str, object] = {
            "type": m.group("type"),
            "message": message,
            "stack": "\n".join((head, *more)),
        }
        self.links = [Link(m.group("type"), message, no)]
        self.objects: list[dict[str, object] | None] = []  # open { } blocks; None = not an error's
        self.current: dict[str, object] = self.err
        self.done = False
        # a string util.inspect split over lines (`a\n` + / 'b'): its owner, key, pieces so far
        self.pending: tuple[dict[str, object], str, list[str]] | None = None

    def take(self, no: int, line: str) -> bool:
        stripped = line.strip()
        if not self.objects:  # the top-level stack
            if not line.startswith("    at "):
                return False
            self.err["stack"] = f"{self.err['stack']}\n{line}"
            if stripped.endswith(" {"):
                self.objects.append(self.err)
            self.end = no
            return True
        self.end = no
        if self.pending is not None and self._continue(stripped):
            return True
        if stripped in ("}", "},", "]", "],"):
            self.objects.pop()
            self.done = not self.objects
            return True
        if stripped.startswith("at ") and stripped.endswith(" {"):
            self.objects.append(self.current)  # a cause's own properties follow its stack
            return True
        m = NODE_PROP.match(line)
        if m is None:
            return True  # a stack line of a cause, an array item: part of the dump
        key, val = m.group("key").strip("'"), m.group("val")
        owner = self.objects[-1]
        if key == "[cause]" and is_node_head(val):
            head = NODE_HEAD.match(val)
            assert head is not None
            cause: dict[str, object] = {"type": head.group("type"), "message": head.group("msg")}
            if owner is not None:
                owner["cause"] = cause
            self.current = cause
            self.links.append(Link(head.group("type"), head.group("msg"), no))
        elif val.endswith(("{", "[")):
            self.objects.append(None)  # nested object: its fields are not the error's
        elif owner is not None and val.endswith(" +"):
            self.pending = (owner, key, [val[:-2]])
        elif owner is not None:
            value = js_value(val)
            if value is not None:
                owner[key] = value
        return True

    def _continue(self, stripped: str) -> bool:
        """One more piece of a split string (a PL/pgSQL CONTEXT, a long detail); False when the
        line is not one, which drops the partial value."""
        assert self.pending is not None
        owner, key, pieces = self.pending
        more = stripped.endswith(" +")
        piece = stripped[:-2] if more else stripped.removesuffix(",")
        if len(piece) < 2 or piece[0] not in "'\"`" or piece[-1] != piece[0]:
            self.pending = None
            return False
        pieces.append(piece)
        if more:
            return True
        owner[key] = "".join(str(js_value(p)) for p in pieces)
        self.pending = None
        return True

    def events(self, path: str) -> list[Event]:
        text = f"{self.links[0].exc}: {self.links[0].message}"
        return [
            Event(
                path,
                self.start,
                "node-inspect",
                "error",
                text,
                level="error",
                data={"err": self.err},
                chain=tuple(self.links),
                end_line=self.end,
            )
        ]
