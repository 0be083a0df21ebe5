import mmap

def select(
    data: bytes | bytearray | memoryview | mmap.mmap,
    first: int,
    stop: int,
    end: int,
    keep_unless: tuple[bytes, ...] = (),
    prefixes: tuple[bytes, ...] = (),
    suffixes: tuple[bytes, ...] = (),
    needles: tuple[bytes, ...] = (),
    folded: tuple[bytes, ...] = (),
    quiet: tuple[bytes, ...] = (),
    longer_than: int = 0,
    stamps: bool = False,
    empty: bool = False,
    required: tuple[bytes, ...] = (),
) -> tuple[int, list[tuple[int, int, int]]]: ...
def progress_run(
    data: bytes | bytearray | memoryview | mmap.mmap, start: int, end: int
) -> tuple[int, int, list[tuple[int, int, int, int]]]: ...
def _set_isa(name: str) -> str: ...
def utf8_valid(data: bytes | bytearray | memoryview | mmap.mmap, start: int, end: int) -> bool: ...
def strip_codes(
    data: bytes | bytearray | memoryview | mmap.mmap, start: int, end: int
) -> bytes: ...
