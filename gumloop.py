"""gumloop.py - a single-file, standard-library-only client for the Gumloop API.

Copy this file into your project (or ``pip install .``) and::

    from gumloop import Gumloop

    client = Gumloop()                      # token from GUMLOOP_ACCESS_TOKEN, or access_token=...
    result = client.chat.completions.create(
        model="claude-sonnet-4-5",
        messages=[{"role": "user", "content": "Capital of Canada?"}],
    )
    print(result.choices[0].message.content)

    for chunk in client.chat.completions.create(model="claude-sonnet-4-5", stream=True,
                                                messages=[{"role": "user", "content": "A haiku"}]):
        print(chunk.choices[0].delta.content or "", end="", flush=True)

    response = client.mcp.execute("gumloop_slack", "slack_send_message", {"channel": "#general"})
    print(response.results[0].decoded_content)

Environment: GUMLOOP_ACCESS_TOKEN, GUMLOOP_USER_ID, GUMLOOP_TEAM_ID, GUMLOOP_BASE_URL,
GUMLOOP_STREAM_BASE_URL, HTTPS_PROXY / HTTP_PROXY / NO_PROXY, SSL_CERT_FILE, TRACEPARENT.
Command line: ``python gumloop.py chat "Capital of Canada?"``. CPython 3.8 to 3.13.

Reading order: constants, errors, result objects, SSE parser, transport, retry policy,
Stream, client, legacy flows client, command line.
"""

from __future__ import annotations

import json
import os
import sys
from _thread import allocate_lock as _new_lock  # threading.Lock itself; `threading` costs ~1 ms
import time
from collections.abc import Mapping as _MappingABC, Sequence as _SequenceABC
from urllib.parse import quote, urlencode, urlsplit

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - annotations only: `typing` costs milliseconds at import
    import http.client
    import logging
    import ssl
    from dataclasses import dataclass as _dataclass
    from typing import (
        Any,
        Callable,
        ClassVar,
        Dict,
        Iterable,
        Iterator,
        List,
        Mapping,
        Optional,
        Sequence,
        Tuple,
        Type,
        TypeVar,
        Union,
    )

    _M = TypeVar("_M", bound="_Model")
    _Convert = Callable[[Any], Any]
    _OriginKey = Tuple[str, str, int, Optional[str]]  # scheme, host, port, proxy URL

__version__ = "0.1.0"

__all__ = [
    # client
    "Gumloop",
    "DEFAULT_BASE_URL",
    "DEFAULT_CHAT_MODEL",
    # results
    "ChatResult",
    "ChatChoice",
    "ChatMessage",
    "ChatUsage",
    "ToolCall",
    "ToolCallFunction",
    "ChatImage",
    "ImageURL",
    "ChatStreamChunk",
    "ChatStreamChoice",
    "ChatStreamDelta",
    "ChunkError",
    "McpToolCallRequest",
    "McpToolCallResult",
    "McpExecuteResponse",
    "McpServer",
    "McpServersResponse",
    "McpServerResponse",
    "McpServerAccount",
    "McpServerAccountsResponse",
    "McpTool",
    "McpToolsResponse",
    "McpResource",
    "McpResourcesResponse",
    "McpResourceContent",
    "McpResourceReadResponse",
    "McpPromptArgument",
    "McpPrompt",
    "McpPromptsResponse",
    "McpPromptMessage",
    "McpPromptResponse",
    # streaming and SSE
    "Stream",
    "EventStream",
    "ServerSentEvent",
    "SSEDecoder",
    "iter_sse",
    # errors
    "GumloopError",
    "AuthenticationError",
    "APIStatusError",
    "BadRequestError",
    "UnauthorizedError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "StreamError",
    "FlowRunError",
    "FlowTimeoutError",
    # legacy
    "GumloopClient",
    "__version__",
]



def _logger() -> "Optional[logging.Logger]":
    """The `gumloop` logger when DEBUG records would go anywhere, else None.

    `logging` is not imported for callers who never use it: if no code in the process
    has imported it, nobody can be listening, and the import is skipped.
    """
    logging = sys.modules.get("logging")
    if logging is None:
        return None
    logger = logging.getLogger("gumloop")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return logger if logger.isEnabledFor(logging.DEBUG) else None


if "logging" in sys.modules:
    _logger()


###############################################################################
# Constants ###################################################################

DEFAULT_BASE_URL = "https://api.gumloop.com/api/v1"
DEFAULT_TIMEOUT = 90.0  # seconds, API base: connect and each socket read
DEFAULT_STREAM_TIMEOUT = 3600.0  # seconds, chat and SSE: per read and in total
DEFAULT_MAX_RETRIES = 2
DEFAULT_CHAT_MODEL = "claude-sonnet-4-5"  # the CLI's default model

_INITIAL_DELAY = 0.5  # first backoff, doubled per attempt
_MAX_DELAY = 8.0  # backoff cap
_MAX_RETRY_AFTER = 60.0  # a longer Retry-After is not waited for: the error is raised
_MAX_REDIRECTS = 5
_MAX_ERROR_BODY = 1 << 20  # error bodies are read up to 1 MiB
_MAX_EXCERPT = 200  # characters of a non-JSON error body shown in the message
_MAX_SSE_EVENT = 64 << 20  # bytes of data lines in one SSE event
_MAX_LINE = 65536  # bytes in a response's status or header line (http.client's limit)
_MAX_HEADERS = 100  # header lines in one response (http.client's limit)
# At most this much per read (one system call). A read returns what has arrived, so small
# events are not held back; 320 KiB takes most 256 KiB events (a big image) whole while a
# 200 MB stream peaks at ~2 MB (1 MiB reads: ~1.5x the throughput, ~2.5x the memory).
_READ_SIZE = 5 << 16
_POOL_MAX_IDLE_AGE = 30.0  # seconds; load balancers commonly drop idle sockets at 60 s
_POOL_MAX_IDLE_PER_ORIGIN = 16
_DONE_GRACE = 0.25  # seconds to wait for the end of the body after [DONE]
_FLOW_MAX_POLL_FAILURES = 5

# Retry matrix: idempotent methods on these statuses; POST/PATCH only where the server
# promises it did nothing (429 rate limited, 503 not accepted).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_STATUSES_IDEMPOTENT = frozenset({408, 429, 500, 502, 503, 504})
_RETRY_STATUSES_UNSAFE = frozenset({429, 503})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_FLOW_TERMINAL_STATES = frozenset({"DONE", "FAILED", "TERMINATING", "TERMINATED"})

_REDACTED = "[REDACTED]"
_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")

# Indirections the tests replace with a fake clock.
_sleep: "Callable[[float], None]" = time.sleep
_monotonic: "Callable[[], float]" = time.monotonic


###############################################################################
# Errors ######################################################################


class GumloopError(Exception):
    """Base class of every error raised by this module."""


class AuthenticationError(GumloopError):
    """No credential was available; raised before anything is sent."""


class APIStatusError(GumloopError):
    """The API answered with an error status (or a redirect that is not followed)."""

    status_code: int

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers: Mapping[str, str] = headers if headers is not None else _Headers(())
        self.request_id: Optional[str] = self.headers.get("x-request-id")
        error = body.get("error") if isinstance(body, dict) else None
        self.error: Any = error
        details: Any
        if isinstance(error, dict):
            self.code: Any = error.get("code")
            self.type: Any = error.get("type")
            self.param: Any = error.get("param")
            details = error.get("details")
        else:
            self.code = error if isinstance(error, str) else None
            self.type = None
            self.param = None
            details = _flat_details(body)
        self.details: Dict[str, Any] = details if isinstance(details, dict) else {}

    def __repr__(self) -> str:
        return "%s(%r, status_code=%d)" % (type(self).__name__, self.message, self.status_code)


class BadRequestError(APIStatusError):
    """HTTP 400."""


class UnauthorizedError(APIStatusError, AuthenticationError):
    """HTTP 401: the credential was rejected."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403."""


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ConflictError(APIStatusError):
    """HTTP 409."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422."""


class RateLimitError(APIStatusError):
    """HTTP 429."""


class InternalServerError(APIStatusError):
    """HTTP 500 and above."""


class APIConnectionError(GumloopError):
    """The network failed: refused, reset, broken stream, TLS failure."""


class APITimeoutError(APIConnectionError):
    """Connecting or reading took longer than the timeout."""


class StreamError(GumloopError):
    """Stream.collect() met an error chunk; ``partial`` holds what came before it."""

    def __init__(self, message: str, *, code: Any = None, partial: Optional["ChatResult"] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.partial = partial


class FlowRunError(GumloopError, RuntimeError):
    """A flow run ended FAILED, TERMINATING or TERMINATED."""

    def __init__(self, message: str, *, run_id: Optional[str] = None, state: Optional[str] = None, log: Any = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.state = state
        self.log = log


class FlowTimeoutError(GumloopError, TimeoutError):
    """A flow run did not finish before the deadline."""

    def __init__(self, message: str, *, run_id: Optional[str] = None, state: Optional[str] = None, log: Any = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.state = state
        self.log = log

    def __str__(self) -> str:  # OSError's __str__ would format errno/strerror
        return str(self.args[0]) if self.args else ""


_STATUS_ERRORS: Dict[int, Type[APIStatusError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
_FLAT_RESERVED_KEYS = frozenset({"error", "message", "error_description", "trace_id", "metadata"})


def _flat_details(body: Any) -> Dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        return metadata
    return {k: v for k, v in body.items() if k not in _FLAT_RESERVED_KEYS}


class _Headers(_MappingABC):  # type: ignore[type-arg]
    """Case-insensitive, read-only response headers (repeated ones joined with ', ')."""

    def __init__(self, items: Iterable[Tuple[str, str]]) -> None:
        self._items: Dict[str, str] = {}
        for key, value in items:
            key = key.lower()
            self._items[key] = self._items[key] + ", " + value if key in self._items else value

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def get(self, key: str, default: Any = None) -> Any:  # Mapping.get() goes through KeyError
        return self._items.get(key.lower(), default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        return "Headers(%r)" % (self._items,)


_MIN_REDACT = 6  # shorter "secrets" (test placeholders) would shred every message


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= _MIN_REDACT and secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def _redact_json(value: Any, secrets: Sequence[str]) -> Any:
    if not secrets:
        return value
    if isinstance(value, str):
        return _redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v, secrets) for v in value]
    return value


def _excerpt(raw: bytes) -> str:
    import re

    text = raw[: _MAX_EXCERPT * 20].decode("utf-8", "replace")
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text[:_MAX_EXCERPT] + ("..." if len(text) > _MAX_EXCERPT else "")


def _status_error(status: int, headers: Mapping[str, str], raw: bytes, secrets: Sequence[str]) -> APIStatusError:
    """Map an error answer to its class; the message follows SPEC's order of preference."""
    fallback = "Gumloop API returned HTTP %d" % status
    body: Any
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    body = _redact_json(body, secrets)
    message = fallback
    if isinstance(body, dict):
        error = body.get("error")
        top_message = body.get("message")
        description = body.get("error_description")
        if isinstance(error, dict) and error.get("message"):
            message = str(error["message"])
        elif isinstance(top_message, str) and top_message:
            message = top_message
        elif isinstance(description, str) and description:
            message = description
        elif isinstance(error, str) and error:
            message = "%s: %s" % (fallback, error)
    elif raw.strip():
        message = "%s: %s" % (fallback, _excerpt(raw))
    message = _redact(message, secrets)
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(message, status_code=status, body=body, headers=headers)


###############################################################################
# Result objects ##############################################################
#
# Every result is a dataclass built around the JSON object the server sent (`_raw`).
# Building one is a dict copy: plain fields (and unknown ones) become instance
# attributes at C speed, nested fields present in the JSON (choices, message, delta...)
# are converted at once, and a field the server left out reaches __getattr__, which
# gives its default. `to_dict()` is the server's JSON exactly. A field of the wrong type
# becomes its default (None, or [] for the response lists) instead of an exception.

def _nested(cls: Type["_Model"]) -> _Convert:
    """An object field; missing or not an object gives None."""
    return lambda v: _build(cls, v) if isinstance(v, dict) else None


def _nested_or_empty(cls: Type["_Model"]) -> _Convert:
    """An object field callers always dereference (message, delta, function)."""
    return lambda v: _build(cls, v if isinstance(v, dict) else {})


def _list_of(cls: Type["_Model"], default: Optional[list] = None) -> _Convert:  # type: ignore[type-arg]
    def convert(v: Any) -> Any:
        if not isinstance(v, list):
            return [] if default is not None else None
        return [_build(cls, item) for item in v if isinstance(item, dict)]

    return convert


def _plain_list(v: Any) -> Optional[List[Any]]:
    return v if isinstance(v, list) else None


def _plain_dict(v: Any) -> Optional[Dict[str, Any]]:
    return v if isinstance(v, dict) else None


class _FieldSpec:
    """What `_f()` leaves in a result class body, until `_result` takes it out."""

    __slots__ = ("convert", "many")

    def __init__(self, convert: Optional[_Convert], many: bool) -> None:
        self.convert = convert
        self.many = many

    def as_dataclass_field(self) -> Any:
        import dataclasses

        meta = {"convert": self.convert} if self.convert else {}
        if self.many:
            return dataclasses.field(default_factory=list, metadata=meta)
        return dataclasses.field(default=None, metadata=meta)


def _f(convert: Optional[_Convert] = None, *, many: bool = False) -> Any:
    """A result field: None by default ([] for response lists); `convert` builds nested objects."""
    return _FieldSpec(convert, many)


# The result classes are dataclasses: `dataclasses.is_dataclass`, `fields`, `asdict` and
# `replace` work on them. But importing `dataclasses` loads `inspect` (~6 ms, a third of
# our import) and processing 30 classes costs another 0.6 ms, while building, reading and
# printing results needs none of it. So `_dataclass` (the real decorator for type checkers)
# records the class at import, and `dataclasses` makes its `__dataclass_fields__` and
# `__dataclass_params__` the first time anything asks for them.

_NO_DEFAULT = object()


class _DataclassOnFirstUse:
    """Stands for `__dataclass_fields__` / `__dataclass_params__` until first read."""

    __slots__ = ("cls", "attr", "spec", "options")

    def __init__(self, cls: type, attr: str, spec: List[Tuple[str, Any, Any]], options: Dict[str, Any]) -> None:
        self.cls = cls
        self.attr = attr
        self.spec = spec
        self.options = options

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        cls = self.cls
        if isinstance(cls.__dict__.get(self.attr), _DataclassOnFirstUse):
            import dataclasses

            # `dataclasses` processes a twin with the same fields, so the class itself is never
            # seen half-processed (with Field objects as class attributes) by another thread.
            namespace: Dict[str, Any] = {
                "__annotations__": {name: annotation for name, annotation, _ in self.spec},
                "__doc__": cls.__doc__,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            }
            for name, _, default in self.spec:
                if isinstance(default, _FieldSpec):
                    namespace[name] = default.as_dataclass_field()
                elif default is not _NO_DEFAULT:
                    namespace[name] = default
            twin: Any = dataclasses.dataclass(**self.options)(type(cls.__name__, (), namespace))
            cls.__dataclass_params__ = twin.__dataclass_params__  # type: ignore[attr-defined]
            cls.__dataclass_fields__ = twin.__dataclass_fields__  # type: ignore[attr-defined]
        return cls.__dict__[self.attr]


if not TYPE_CHECKING:

    def _dataclass(**options: Any) -> Callable[[type], type]:
        """`dataclasses.dataclass(**options)` at run time, deferred to the first use."""

        def record(cls: type) -> type:
            annotations = cls.__dict__.get("__annotations__", {})
            spec = [(name, annotations[name], cls.__dict__.get(name, _NO_DEFAULT)) for name in annotations]
            for attr in ("__dataclass_fields__", "__dataclass_params__"):
                setattr(cls, attr, _DataclassOnFirstUse(cls, attr, spec, options))
            cls.__match_args__ = tuple(name for name, _, _ in spec)  # type: ignore[attr-defined]
            return cls

        return record


def _dataclass_replace(obj: Any, changes: Dict[str, Any]) -> Any:
    """copy.replace() (3.13+), which a dataclass supports through the `__replace__` that
    `dataclasses` would have added to the class."""
    import dataclasses

    return dataclasses.replace(obj, **changes)


def _result(cls: Type[_M]) -> Type[_M]:
    """Finish a result dataclass: fields absent from the JSON reach __getattr__."""
    converters: Dict[str, Optional[_Convert]] = {}
    many = []
    for name in cls.__match_args__:  # type: ignore[attr-defined]
        spec = cls.__dict__[name]
        converters[name] = spec.convert
        if spec.many:
            many.append(name)
        # Without a class attribute, reading a field not yet set reaches __getattr__.
        delattr(cls, name)
    cls._field_names = cls.__match_args__  # type: ignore[attr-defined]
    cls._converters = converters
    cls._many = frozenset(many)
    # Keys not copied as they are: nested fields (converted) and names of methods, which
    # an instance attribute would shadow (a "json" key, say).
    methods = {
        name
        for klass in cls.__mro__[:-1]  # not `object`
        for name, value in vars(klass).items()
        if not name.startswith("__") and (callable(value) or isinstance(value, (classmethod, staticmethod)))
    }
    nested = {name for name, convert in converters.items() if convert is not None}
    cls._hidden = frozenset(nested | methods | {"_raw"})
    return cls


def _build(cls: Type[_M], raw: Dict[str, Any]) -> _M:
    obj = cls.__new__(cls)
    attrs = obj.__dict__
    attrs.update(raw)
    hidden = cls._hidden
    if not hidden.isdisjoint(raw):
        converters = cls._converters
        for name in hidden.intersection(raw):
            convert = converters.get(name)
            if convert is not None:
                attrs[name] = convert(raw[name])
            else:
                del attrs[name]
    attrs["_raw"] = raw
    return obj


class _Model:
    """Base of the result objects: lazy fields, unknown fields kept, pydantic-style dumps."""

    _field_names: "ClassVar[Tuple[str, ...]]" = ()
    _converters: "ClassVar[Dict[str, Optional[_Convert]]]" = {}
    _many: "ClassVar[frozenset[str]]" = frozenset()  # fields whose default is []
    _hidden: "ClassVar[frozenset[str]]" = frozenset()

    def __init__(self, **values: Any) -> None:
        unknown = set(values) - set(self._converters)
        if unknown:
            raise TypeError("%s() got unexpected fields: %s" % (type(self).__name__, ", ".join(sorted(unknown))))
        for name in self._field_names:
            if name in values:
                value = values[name]
            else:
                value = [] if name in self._many else None
            self.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup failed: a nested field not read yet, a field the
        # server left out, or a name that is neither a field nor in the JSON.
        converters = type(self)._converters
        if name in converters:
            raw = self.__dict__.get("_raw")
            value = raw.get(name) if raw is not None else None
            convert = converters[name]
            if convert is not None:
                value = convert(value)
            self.__dict__[name] = value
            return value
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, name))

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object as the server sent it (a copy)."""
        raw = self.__dict__.get("_raw")
        if raw is not None:
            return _copy_json(raw)  # type: ignore[no-any-return]
        out: Dict[str, Any] = {}
        for name in self._field_names:
            value = getattr(self, name)
            if value is not None:
                out[name] = _dump_value(value)
        return out

    def model_dump(self, **_options: Any) -> Dict[str, Any]:
        """Same as to_dict(), for code written against pydantic models."""
        return self.to_dict()

    def __replace__(self, **changes: Any) -> Any:
        return _dataclass_replace(self, changes)

    def model_dump_json(self, *, indent: Optional[int] = None, **_options: Any) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def __repr__(self) -> str:
        parts = []
        for name in self._field_names:
            value = getattr(self, name)
            if value is not None and value != []:
                parts.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> Dict[str, Any]:
        return self.__dict__

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)


def _dump_value(value: Any) -> Any:
    if isinstance(value, _Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump_value(v) for v in value]
    return value


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def _parse_json_text(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise GumloopError("%s is not JSON text (got %s)" % (what, type(text).__name__))
    try:
        return json.loads(text)
    except ValueError as exc:
        raise GumloopError("%s is not valid JSON: %s" % (what, exc)) from None


# -- chat ----------------------------------------------------------------------


@_result
@_dataclass(init=False, repr=False, eq=False)
class ImageURL(_Model):
    """`image.image_url`: holds `url`, usually a data URL."""

    url: Optional[str] = _f()
    detail: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatImage(_Model):
    """An image on `message.images` or `delta.images`, with helpers to read and save it."""

    type: Optional[str] = _f()
    image_url: ImageURL = _f(_nested_or_empty(ImageURL))
    index: Optional[int] = _f()

    @property
    def media_type(self) -> Optional[str]:
        """The MIME type of a data URL (`image/png`), else None."""
        url = self.image_url.url
        if not isinstance(url, str) or not url.startswith("data:"):
            return None
        head = url[5 : url.find(",")] if "," in url else url[5:]
        return head.split(";", 1)[0] or None

    def data(self) -> bytes:
        """The image bytes decoded from the data URL."""
        url = self.image_url.url
        if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
            raise GumloopError("image is not a data URL; fetch it from image_url.url instead")
        head, payload = url[5:].split(",", 1)
        if head.endswith(";base64"):
            import base64
            import binascii

            try:
                return base64.b64decode(payload, validate=False)
            except (binascii.Error, ValueError) as exc:
                raise GumloopError("image data URL is not valid base64: %s" % exc) from None
        from urllib.parse import unquote_to_bytes

        return unquote_to_bytes(payload)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> str:
        """Write the image bytes to `path`; returns the path."""
        data = self.data()
        with open(path, "wb") as fh:
            fh.write(data)
        return os.fspath(path)


@_result
@_dataclass(init=False, repr=False, eq=False)
class ToolCallFunction(_Model):
    """The function a tool call names, with its JSON-encoded `arguments`."""

    name: Optional[str] = _f()
    arguments: Optional[str] = _f()

    def json(self) -> Any:
        """The arguments, parsed."""
        return _parse_json_text(self.arguments, "tool call arguments")


@_result
@_dataclass(init=False, repr=False, eq=False)
class ToolCall(_Model):
    """One entry of `message.tool_calls` (or a fragment on `delta.tool_calls`)."""

    id: Optional[str] = _f()
    type: Optional[str] = _f()
    function: ToolCallFunction = _f(_nested_or_empty(ToolCallFunction))
    index: Optional[int] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatMessage(_Model):
    """The assistant's message on a unary result."""

    role: Optional[str] = _f()
    content: Optional[str] = _f()
    tool_calls: Optional[List[ToolCall]] = _f(_list_of(ToolCall))
    images: Optional[List[ChatImage]] = _f(_list_of(ChatImage))
    refusal: Optional[str] = _f()
    reasoning: Optional[str] = _f()

    def json(self) -> Any:
        """The content parsed as JSON (structured output)."""
        return _parse_json_text(self.content, "message content")


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatUsage(_Model):
    """Token counts and the credit cost of a completion."""

    prompt_tokens: Optional[int] = _f()
    completion_tokens: Optional[int] = _f()
    total_tokens: Optional[int] = _f()
    cost: Optional[float] = _f()
    is_byok: Optional[bool] = _f()
    cost_details: Optional[Dict[str, Any]] = _f(_plain_dict)
    prompt_tokens_details: Optional[Dict[str, Any]] = _f(_plain_dict)
    completion_tokens_details: Optional[Dict[str, Any]] = _f(_plain_dict)


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatChoice(_Model):
    """One choice of a unary result."""

    index: Optional[int] = _f()
    message: ChatMessage = _f(_nested_or_empty(ChatMessage))
    finish_reason: Optional[str] = _f()
    native_finish_reason: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatResult(_Model):
    """A unary chat completion."""

    id: Optional[str] = _f()
    object: Optional[str] = _f()
    created: Optional[int] = _f()
    model: Optional[str] = _f()
    choices: List[ChatChoice] = _f(_list_of(ChatChoice, []), many=True)
    usage: Optional[ChatUsage] = _f(_nested(ChatUsage))
    system_fingerprint: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatStreamDelta(_Model):
    """What one stream chunk adds to a choice."""

    role: Optional[str] = _f()
    content: Optional[str] = _f()
    tool_calls: Optional[List[ToolCall]] = _f(_list_of(ToolCall))
    images: Optional[List[ChatImage]] = _f(_list_of(ChatImage))
    gumloop_extensions: Optional[Dict[str, Any]] = _f(_plain_dict)
    reasoning: Optional[str] = _f()
    refusal: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatStreamChoice(_Model):
    """One choice of a stream chunk."""

    index: Optional[int] = _f()
    delta: ChatStreamDelta = _f(_nested_or_empty(ChatStreamDelta))
    finish_reason: Optional[str] = _f()
    native_finish_reason: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChunkError(_Model):
    """An error reported inside a stream (`chunk.error`)."""

    code: Any = _f()
    message: Optional[str] = _f()
    metadata: Optional[Dict[str, Any]] = _f(_plain_dict)


@_result
@_dataclass(init=False, repr=False, eq=False)
class ChatStreamChunk(_Model):
    """One event of a streamed chat completion."""

    id: Optional[str] = _f()
    object: Optional[str] = _f()
    created: Optional[int] = _f()
    model: Optional[str] = _f()
    choices: List[ChatStreamChoice] = _f(_list_of(ChatStreamChoice, []), many=True)
    usage: Optional[ChatUsage] = _f(_nested(ChatUsage))
    error: Optional[ChunkError] = _f(_nested(ChunkError))


# -- MCP -----------------------------------------------------------------------


@_dataclass(init=False, repr=False, eq=False)  # hand-written methods: generated ones cost 0.6 ms at import
class McpToolCallRequest:
    """One call for `client.mcp.execute_many`."""

    server_id: str
    tool_name: str
    arguments: Optional[Dict[str, Any]] = None
    ref: Optional[str] = None
    account: Optional[str] = None

    def __init__(
        self,
        server_id: str,
        tool_name: str,
        arguments: Optional[Dict[str, Any]] = None,
        ref: Optional[str] = None,
        account: Optional[str] = None,
    ) -> None:
        self.server_id = server_id
        self.tool_name = tool_name
        self.arguments = arguments
        self.ref = ref
        self.account = account

    def __repr__(self) -> str:
        return "McpToolCallRequest(server_id=%r, tool_name=%r, arguments=%r, ref=%r, account=%r)" % (
            self.server_id, self.tool_name, self.arguments, self.ref, self.account,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not McpToolCallRequest:
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> Dict[str, Any]:
        """The call as sent: `ref` and `account` only when set, `arguments` always an object."""
        call: Dict[str, Any] = {
            "server_id": self.server_id,
            "tool_name": self.tool_name,
            "arguments": self.arguments if self.arguments is not None else {},
        }
        if self.ref is not None:
            call["ref"] = self.ref
        if self.account is not None:
            call["account"] = self.account
        return call

    model_dump = to_dict

    def __replace__(self, **changes: Any) -> Any:
        return _dataclass_replace(self, changes)


def _decode_content_item(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    try:
        return json.loads(item)
    except ValueError:
        return item


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpToolCallResult(_Model):
    """The outcome of one tool call; a tool failure is `ok == False` with `error` set."""

    ref: Optional[str] = _f()
    server_id: Optional[str] = _f()
    tool_name: Optional[str] = _f()
    status: Optional[str] = _f()
    content: Optional[List[Any]] = _f(_plain_list)
    error: Any = _f()

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def decoded_content(self) -> Optional[List[Any]]:
        """Each content string JSON-decoded; plain text and non-strings pass through."""
        content = self.content
        if content is None:
            return None
        return [_decode_content_item(item) for item in content]


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpExecuteResponse(_Model):
    """The answer of `mcp.execute` / `mcp.execute_many`: one result per call."""

    results: List[McpToolCallResult] = _f(_list_of(McpToolCallResult, []), many=True)

    def model_dump_decoded_content(self) -> Dict[str, Any]:
        """to_dict() with each result's `content` replaced by its decoded content."""
        payload = self.to_dict()
        results = payload.get("results")
        if isinstance(results, list):
            decoded = iter(self.results)
            for item in results:
                if isinstance(item, dict):
                    item["content"] = next(decoded).decoded_content
        return payload


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpServer(_Model):
    """An MCP server the account can use."""

    server_id: Optional[str] = _f()
    name: Optional[str] = _f()
    type: Optional[str] = _f()
    status: Optional[str] = _f()
    icon_url: Optional[str] = _f()
    description: Optional[str] = _f()
    gumloop_auth_url: Optional[str] = _f()
    mcp_url: Optional[str] = _f()
    tool_count: Optional[int] = _f()
    allowed_tool_call_ids: Optional[List[str]] = _f(_plain_list)


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpServersResponse(_Model):
    """`mcp.list_servers()`."""

    servers: List[McpServer] = _f(_list_of(McpServer, []), many=True)


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpServerResponse(_Model):
    """`mcp.get_server()`."""

    server: Optional[McpServer] = _f(_nested(McpServer))


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpServerAccount(_Model):
    """A connected account of an MCP server."""

    id: Optional[str] = _f()
    label: Optional[str] = _f()
    is_default: Optional[bool] = _f()
    in_use: Optional[bool] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpServerAccountsResponse(_Model):
    """`mcp.list_accounts()`."""

    server_id: Optional[str] = _f()
    accounts: List[McpServerAccount] = _f(_list_of(McpServerAccount, []), many=True)


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpTool(_Model):
    """A tool of an MCP server."""

    tool_call_id: Optional[str] = _f()
    server_id: Optional[str] = _f()
    server_type: Optional[str] = _f()
    name: Optional[str] = _f()
    description: Optional[str] = _f()
    input_schema: Optional[Dict[str, Any]] = _f(_plain_dict)
    server: Optional[Dict[str, Any]] = _f(_plain_dict)


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpToolsResponse(_Model):
    """`mcp.list_tools()`."""

    tools: List[McpTool] = _f(_list_of(McpTool, []), many=True)
    server_id: Optional[str] = _f()
    status: Optional[str] = _f()
    gumloop_auth_url: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpResource(_Model):
    """A resource an MCP server offers."""

    uri: Optional[str] = _f()
    name: Optional[str] = _f()
    title: Optional[str] = _f()
    description: Optional[str] = _f()
    mime_type: Optional[str] = _f()
    size: Optional[int] = _f()
    server_id: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpResourcesResponse(_Model):
    """`mcp.list_resources()`; pass `next_cursor` back as `cursor=` for the next page."""

    resources: List[McpResource] = _f(_list_of(McpResource, []), many=True)
    server_id: Optional[str] = _f()
    status: Optional[str] = _f()
    gumloop_auth_url: Optional[str] = _f()
    next_cursor: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpResourceContent(_Model):
    """One content item of a resource: `text`, or a base64 `blob`."""

    uri: Optional[str] = _f()
    mime_type: Optional[str] = _f()
    text: Optional[str] = _f()
    blob: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpResourceReadResponse(_Model):
    """`mcp.get_resource()`; `.text` joins the text contents."""

    server_id: Optional[str] = _f()
    uri: Optional[str] = _f()
    contents: List[McpResourceContent] = _f(_list_of(McpResourceContent, []), many=True)

    @property
    def text(self) -> Optional[str]:
        parts = [c.text for c in self.contents if isinstance(c.text, str) and c.text]
        return "\n".join(parts) if parts else None


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpPromptArgument(_Model):
    """An argument a prompt template takes."""

    name: Optional[str] = _f()
    description: Optional[str] = _f()
    required: Optional[bool] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpPrompt(_Model):
    """A prompt template of an MCP server."""

    name: Optional[str] = _f()
    description: Optional[str] = _f()
    arguments: List[McpPromptArgument] = _f(_list_of(McpPromptArgument, []), many=True)
    server_id: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpPromptsResponse(_Model):
    """`mcp.list_prompts()`."""

    prompts: List[McpPrompt] = _f(_list_of(McpPrompt, []), many=True)
    server_id: Optional[str] = _f()
    status: Optional[str] = _f()
    gumloop_auth_url: Optional[str] = _f()


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpPromptMessage(_Model):
    """One message of a rendered prompt; `content` is the MCP content object."""

    role: Optional[str] = _f()
    content: Dict[str, Any] = _f(lambda v: v if isinstance(v, dict) else {})


@_result
@_dataclass(init=False, repr=False, eq=False)
class McpPromptResponse(_Model):
    """`mcp.get_prompt()`."""

    server_id: Optional[str] = _f()
    name: Optional[str] = _f()
    description: Optional[str] = _f()
    messages: List[McpPromptMessage] = _f(_list_of(McpPromptMessage, []), many=True)


def _result_object(cls: Type[_M], body: Any, what: str) -> _M:
    if not isinstance(body, dict):
        got = "an empty body" if body is None else "JSON %s" % type(body).__name__
        raise GumloopError("%s: expected a JSON object from the API, got %s" % (what, got))
    return _build(cls, body)


###############################################################################
# Server-sent events ##########################################################
#
# The WHATWG HTML "Server-sent events" parsing rules
# (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
# Lines are split on bytes (CR, LF, CRLF) and decoded afterwards, so a character split
# across reads decodes whole and U+2028 inside JSON is not a line end. A line ending in
# CR is complete at once; an LF that follows it in the next read is skipped.


class ServerSentEvent:
    """One dispatched event."""

    __slots__ = ("event", "data", "id", "retry")

    def __init__(self, event: str = "message", data: str = "", id: str = "", retry: Optional[int] = None) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def json(self) -> Any:
        """The data parsed as JSON."""
        return _parse_json_text(self.data, "event data")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (other.event, other.data, other.id, other.retry)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = ["event=%r" % self.event] if self.event != "message" else []
        parts.append("data=%r" % (self.data if len(self.data) <= 80 else self.data[:77] + "..."))
        if self.id:
            parts.append("id=%r" % self.id)
        if self.retry is not None:
            parts.append("retry=%r" % self.retry)
        return "ServerSentEvent(%s)" % ", ".join(parts)


_BOM = b"\xef\xbb\xbf"
# Line-ending bytes as ints: `_CR in data` is a memchr, several times faster than `b"\r" in data`.
_CR = 13
_LF = 10


class SSEDecoder:
    """Incremental SSE parser: `feed(bytes)` returns the events completed by those bytes."""

    def __init__(self, max_event_bytes: int = _MAX_SSE_EVENT) -> None:
        self._max = max_event_bytes
        self._reset()

    def _reset(self) -> None:
        self._tail: List[bytes] = []  # pieces of an unterminated line, joined once it ends
        self._tail_size = 0
        self._skip_lf = False  # the last feed ended in CR: an LF starting the next is its pair
        self._at_start = True  # the BOM may only appear here
        self._data: List[bytes] = []
        self._size = 0
        self._event = ""
        self._last_id = ""  # persists across events, as WHATWG's last event ID buffer
        self._retry: Optional[int] = None

    def feed(self, chunk: bytes) -> List[ServerSentEvent]:
        data = self._plain_data(chunk)
        if data is not None:
            last_id = self._last_id
            return [ServerSentEvent("message", value, last_id) for value in data]
        return self._feed_lines(chunk)

    def _events_of(self, pieces: List[bytes]) -> List[ServerSentEvent]:
        """feed() of each piece in turn."""
        if len(pieces) == 1:
            return self.feed(pieces[0])
        feed = self.feed
        return [event for piece in pieces for event in feed(piece)]

    def _data_of(self, pieces: List[bytes]) -> List[str]:
        """The data of the events these pieces complete: all a chat stream reads, without
        event objects. A piece is usually one HTTP chunk holding one whole `data:` event."""
        out: List[str] = []
        idle = self._idle()
        for piece in pieces:
            # _plain_data's one-event case, inlined: this runs once per chunk.
            if (
                idle
                and piece.find(b"\n") == len(piece) - 2  # one line, and then
                and piece[-1] == _LF  # the blank line that ends the event
                and piece.startswith(b"data: ")
                and _CR not in piece
            ):
                if len(piece) - 8 > self._max:
                    self._overflow()
                out.append(piece[6:-2].decode("utf-8", "replace"))
                continue
            data = self._plain_data(piece)
            if data is None:
                data = [event.data for event in self._feed_lines(piece)]
                idle = self._idle()
            out += data
        return out

    def _idle(self) -> bool:
        """Between events, with nothing carried over: a `data:` line starts a fresh event."""
        return not (self._tail or self._data or self._skip_lf or self._at_start or self._event) and self._retry is None

    def _plain_data(self, chunk: bytes) -> Optional[List[str]]:
        """The data of the usual stream chunk, without the line loop: only `data: ...` lines,
        each followed by a blank line, with LF endings and no other state pending. None for
        anything else, which the line loop handles."""
        if not (chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") and _CR not in chunk and self._idle()):
            return None
        if chunk.find(b"\n") == len(chunk) - 2:
            # One whole `data:` event: the usual HTTP chunk of a chat stream.
            value = chunk[6:-2]
            if len(value) > self._max:
                self._overflow()
            return [value.decode("utf-8", "replace")]
        parts = chunk[:-2].split(b"\n\n")
        for part in parts:
            if not part.startswith(b"data: ") or _LF in part or len(part) - 6 > self._max:
                return None  # other fields, several data lines, stray blank lines, too big
        return [part[6:].decode("utf-8", "replace") for part in parts]

    def _feed_lines(self, chunk: bytes) -> List[ServerSentEvent]:
        """The general parser: WHATWG's rules line by line, across any split of the input."""
        if self._at_start:
            if self._tail:
                chunk = self._tail.pop() + chunk
            if len(chunk) < 3 and _BOM.startswith(chunk):
                if chunk:
                    self._tail.append(chunk)  # could still become a BOM
                return []
            self._at_start = False
            if chunk.startswith(_BOM):
                chunk = chunk[3:]
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not chunk:
            return []
        if _LF not in chunk and _CR not in chunk:
            # Inside one long line (a big image): keep the pieces, join them once it ends.
            self._tail.append(chunk)
            self._tail_size += len(chunk)
            self._check_size(self._tail_size)
            return []
        if self._tail:
            self._tail.append(chunk)
            chunk = b"".join(self._tail)
            self._tail = []
            self._tail_size = 0
            plain = self._plain_data(chunk)
            if plain is not None:
                # A whole `data:` event that came in several reads: no line loop either.
                last_id = self._last_id
                return [ServerSentEvent("message", value, last_id) for value in plain]
        lines = chunk.splitlines(True)
        last = lines[-1]
        last_byte = last[-1:]
        if last_byte == b"\r":
            self._skip_lf = True
        elif last_byte != b"\n":
            self._tail.append(lines.pop())
            self._tail_size = len(last)
            self._check_size(self._tail_size)
        events: List[ServerSentEvent] = []
        for line in lines:
            # The line without its ending (CRLF, LF or CR), sliced once: lines can be megabytes.
            end = len(line) - (2 if line.endswith(b"\r\n") else 1)
            if end == 0:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = ""
                    self._retry = None
            elif line.startswith(b"data:"):
                value = line[6:end] if line[5:6] == b" " else line[5:end]
                self._size += len(value)
                if self._size > self._max:
                    self._overflow()
                self._data.append(value)
            else:
                self._field(line[:end])
        return events

    def close(self) -> List[ServerSentEvent]:
        """End of input: a pending unterminated event is discarded, as WHATWG says."""
        self._reset()
        return []

    def _field(self, line: bytes) -> None:
        if line[:1] == b":":
            return  # comment
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._size += len(value)
            if self._size > self._max:
                self._overflow()
            self._data.append(value)
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():  # bytes.isdigit() is ASCII digits only
                self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        parts = self._data
        data = (parts[0] if len(parts) == 1 else b"\n".join(parts)).decode("utf-8", "replace")
        event = ServerSentEvent(self._event or "message", data, self._last_id, self._retry)
        self._data = []
        self._size = 0
        self._event = ""
        self._retry = None
        return event

    def _check_size(self, pending: int) -> None:
        if self._size + pending > self._max + 8:  # "data: " and a line ending may still go
            self._overflow()

    def _overflow(self) -> None:
        self._reset()
        raise GumloopError("server-sent event exceeds %d bytes of data" % self._max)


def iter_sse(byte_chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Parse an iterable of byte chunks into events."""
    decoder = SSEDecoder()
    for chunk in byte_chunks:
        yield from decoder.feed(chunk)
    decoder.close()


###############################################################################
# Transport ###################################################################
#
# Connections are opened by http.client (TCP, TLS, CONNECT tunnels) and kept alive in a
# per-client pool. On them, a request is written as one buffer and the answer's head and
# body framing are parsed here, with http.client's limits: its per-header checks and
# email-based header parser cost more than the rest of a call, and its read1() stops at
# every chunk boundary. One place sends a request: `_Transport.send()` -> redirects ->
# retries -> one exchange (with the free replay of a stale pooled connection). The
# urllib.request opener is not used: it turns a redirected POST into a GET, forwards
# credentials to other origins and never keeps a connection.

class _Secret:
    """A credential that never shows itself in repr(), str() or logs."""

    __slots__ = ("value", "source")

    def __init__(self, value: str, source: str) -> None:
        self.value = value
        self.source = source

    def __repr__(self) -> str:
        return "<set: %s>" % self.source

    __str__ = __repr__


class _Request:
    __slots__ = ("method", "url", "headers", "body", "timeout", "secrets")

    def __init__(
        self,
        method: str,
        url: str,
        headers: Dict[str, str],
        body: Optional[bytes],
        timeout: Optional[float],
        secrets: Sequence[str],
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.secrets = secrets


class _Conn:
    """A connected socket (opened by http.client: TLS, proxy tunnel) and its bookkeeping."""

    __slots__ = ("http", "sock", "fp", "key", "last_used", "pid", "proxy_headers", "timeout")

    def __init__(
        self, http_conn: "http.client.HTTPConnection", key: _OriginKey, proxy_headers: Optional[Dict[str, str]] = None
    ) -> None:
        self.http = http_conn
        self.sock: Any = http_conn.sock
        self.fp: Any = self.sock.makefile("rb")  # one buffered reader for every response on it
        self.key = key
        self.proxy_headers = proxy_headers  # for plain-HTTP requests sent through a proxy
        self.last_used = _monotonic()
        self.pid = os.getpid()
        self.timeout = http_conn.timeout

    def set_timeout(self, timeout: Optional[float]) -> None:
        if timeout != self.timeout:  # settimeout() costs system calls
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def close(self) -> None:
        self.fp.close()  # first: the socket's file descriptor stays open while a reader exists
        self.http.close()

    def shutdown(self) -> None:
        """Close now, waking any thread blocked reading this socket."""
        try:
            import socket

            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close()


class _ProtocolError(ValueError):
    """The answer is not well-formed HTTP/1.1."""


class _NoResponse(ConnectionResetError):
    """The connection closed before a single byte of the response arrived."""


class _Response:
    """A response's status and headers; the body is still to be read from the connection."""

    __slots__ = ("status", "headers", "length", "chunked", "will_close", "complete")

    def __init__(self, status: int, headers: _Headers, length: Optional[int], chunked: bool, will_close: bool) -> None:
        self.status = status
        self.headers = headers
        self.length = length  # body bytes still to read; None: chunked, or until the connection closes
        self.chunked = chunked
        self.will_close = will_close
        self.complete = length == 0  # the body was read to its end


def _request_head(method: str, target: str, host: str, headers: Mapping[str, str], body: Optional[bytes]) -> bytes:
    """The request line and headers, as one buffer (sent with the body in one write)."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + host, "Accept-Encoding: identity"]
    lines.extend("%s: %s" % item for item in headers.items())
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: %d" % (len(body) if body else 0))
    head = "\r\n".join(lines)
    if head.count("\n") != len(lines) - 1 or head.count("\r") != len(lines) - 1:
        raise ValueError("a request header contains a line break")  # header injection
    return (head + "\r\n\r\n").encode("latin-1")


def _read_head(fp: Any, method: str) -> _Response:
    """Parse the status line and headers (interim 1xx answers skipped)."""
    readline = fp.readline
    while True:
        line = readline(_MAX_LINE + 1)
        if not line:
            raise _NoResponse("the server closed the connection without answering")
        version, _, rest = line.partition(b" ")
        code = rest[:3]
        if len(line) > _MAX_LINE or not version.startswith(b"HTTP/") or not code.isdigit() or rest[3:4].strip():
            raise _ProtocolError("malformed status line")
        status = int(code)
        fields: List[Tuple[str, str]] = []
        while True:
            line = readline(_MAX_LINE + 1)
            if line == b"\r\n" or line == b"\n":
                break
            if not line:
                raise ConnectionError("connection closed inside the response headers")
            if len(line) > _MAX_LINE or len(fields) >= _MAX_HEADERS:
                raise _ProtocolError("response headers too long")
            if line[:1] in (b" ", b"\t") and fields:  # obsolete line folding
                name, value = fields[-1]
                fields[-1] = (name, value + " " + line.strip().decode("latin-1"))
                continue
            name_b, colon, value_b = line.partition(b":")
            if not colon:
                raise _ProtocolError("malformed header line")
            fields.append((name_b.strip().decode("latin-1"), value_b.strip().decode("latin-1")))
        if status >= 200 or status == 101:
            break  # else 100 Continue, 103 Early Hints: the real answer follows
    headers = _Headers(fields)
    connection = headers.get("connection", "").lower()
    will_close = "close" in connection or (version == b"HTTP/1.0" and "keep-alive" not in connection)
    length: Optional[int] = None
    chunked = False
    if method == "HEAD" or status in (204, 304) or status < 200:
        length = 0
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        chunked = True
    elif "content-length" in headers:
        values = {v.strip() for v in headers["content-length"].split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise _ProtocolError("bad Content-Length")
        length = int(values.pop())
    else:
        will_close = True  # the body ends when the connection does
    return _Response(status, headers, length, chunked, will_close)


def _read_body(fp: Any, response: _Response, limit: Optional[int] = None) -> bytes:
    """The body (at most `limit` bytes); marks the response complete when it was all read."""
    if response.chunked:
        body = _ChunkedBody(fp)
        parts: List[bytes] = []
        total = 0
        while not body.done and (limit is None or total <= limit):
            for piece in body.read(_READ_SIZE):
                parts.append(piece)
                total += len(piece)
        response.complete = body.done and body.clean
        data = b"".join(parts)
        return data if limit is None else data[:limit]
    if response.length is not None:
        want = response.length if limit is None else min(response.length, limit)
        data = fp.read(want) if want else b""
        if len(data) < want:
            raise ConnectionError("connection closed %d bytes before the end of the response" % (want - len(data)))
        response.length -= want
        response.complete = response.length == 0
        return data
    return fp.read() if limit is None else fp.read(limit)  # type: ignore[no-any-return]


class _Answer:
    """A response whose headers are in; `body` is read unless it is a stream."""

    __slots__ = ("status", "response", "conn", "body")

    def __init__(self, status: int, response: _Response, conn: _Conn, body: Optional[bytes]) -> None:
        self.status = status
        self.response = response
        self.conn = conn
        self.body = body

    def header(self, name: str) -> Optional[str]:
        value: Optional[str] = self.response.headers.get(name)
        return value

    def headers(self) -> _Headers:
        return self.response.headers


class _Failure(Exception):
    """One exchange failed on the network; `phase` says how far the request got."""

    CONNECT = "connect"  # nothing was sent
    SEND = "send"  # the request was not completely written
    RESPONSE = "response"  # the request was written; no complete answer

    def __init__(self, cause: BaseException, phase: str, *, stale: bool = False) -> None:
        super().__init__(phase)
        self.cause = cause
        self.phase = phase
        self.stale = stale  # a reused connection closed before any response byte


def _connection_error(cause: BaseException, req: _Request) -> APIConnectionError:
    import socket

    target = urlsplit(req.url).netloc
    if isinstance(cause, socket.timeout):
        return APITimeoutError("Request to %s timed out after %s s" % (target, req.timeout))
    if type(cause).__name__ == "SSLCertVerificationError":
        message = (
            "TLS certificate verification failed for %s: %s. Point SSL_CERT_FILE at your CA bundle "
            "or pass ssl_context= to the client." % (target, getattr(cause, "verify_message", None) or cause)
        )
        return APIConnectionError(message)
    detail = str(cause) or type(cause).__name__
    return APIConnectionError(_redact("Connection error with %s: %s" % (target, detail), req.secrets))


class _Pool:
    """Idle keep-alive connections per origin; shared by threads, forgotten after fork."""

    def __init__(self) -> None:
        self._lock = _new_lock()
        self._idle: Dict[_OriginKey, List[_Conn]] = {}
        self._pid = os.getpid()

    def take(self, key: _OriginKey) -> Optional[_Conn]:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child must not talk on its parent's sockets: forget them
                # without closing (closing would not affect the parent, but a TLS
                # shutdown could).
                self._idle = {}
                self._pid = os.getpid()
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if _monotonic() - conn.last_used < _POOL_MAX_IDLE_AGE and not _is_dropped(conn):
                    return conn
                conn.close()
        return None

    def give(self, conn: _Conn) -> None:
        conn.last_used = _monotonic()
        with self._lock:
            if conn.pid == self._pid == os.getpid():
                idle = self._idle.setdefault(conn.key, [])
                if len(idle) < _POOL_MAX_IDLE_PER_ORIGIN:
                    idle.append(conn)
                    return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _is_dropped(conn: _Conn) -> bool:
    """An idle socket that is readable was closed by the server (or sent junk)."""
    sock = conn.sock
    import select

    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _proxy_for(url_parts: Any, proxy: Optional[str]) -> Optional[str]:
    """The proxy URL for a request, or None: `proxy=""` none, a URL that, None the environment."""
    if proxy is not None:
        return proxy or None
    environ = os.environ
    if not any(name in environ for name in _PROXY_VARIABLES):
        return None  # keep urllib.request unimported
    import urllib.request

    getproxies_environment = urllib.request.getproxies_environment
    proxy_bypass_environment = getattr(urllib.request, "proxy_bypass_environment")  # untyped in typeshed

    proxies = getproxies_environment()
    found = proxies.get(url_parts.scheme)
    if not found:
        return None
    host = url_parts.hostname or ""
    if url_parts.port:
        host = "%s:%d" % (host, url_parts.port)
    if proxy_bypass_environment(host, proxies):
        return None
    return found


class _Transport:
    """Sends requests on pooled connections: redirects, retries, stale replay, proxies, TLS."""

    def __init__(
        self,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        ssl_context: Optional["ssl.SSLContext"] = None,
        proxy: Optional[str] = None,
    ) -> None:
        self.max_retries = max_retries
        self.proxy = proxy
        self._ssl_context = ssl_context
        self._ssl_lock = _new_lock()
        self._pool = _Pool()
        # (scheme, netloc) -> pool key, proxy included. The proxy is looked up once per
        # client and host (as httpx does): reading six environment variables on every
        # request costs more than the request's JSON.
        self._routes: Dict[Tuple[str, str], _OriginKey] = {}

    def close(self) -> None:
        self._pool.close()

    # -- one request, all policies -------------------------------------------

    def call_json(self, req: _Request) -> Any:
        """Send and decode the JSON answer (None for an empty body)."""
        return _decode_body(self.send(req).body, req.secrets)

    def send(self, req: _Request, *, stream: bool = False) -> _Answer:
        """The 2xx answer, after redirects and retries; anything else raises its APIStatusError."""
        answer = self._follow_redirects(req, stream)
        if answer.status >= 300:
            raise _status_error(answer.status, answer.headers(), answer.body or b"", req.secrets)
        return answer

    def _follow_redirects(self, req: _Request, stream: bool) -> _Answer:
        original = urlsplit(req.url)
        for _ in range(_MAX_REDIRECTS + 1):
            answer = self._send_with_retries(req, stream)
            location = answer.header("location")
            if answer.status not in _REDIRECT_STATUSES or not location:
                return answer
            if answer.status != 307 and answer.status != 308 and req.method != "GET" and req.method != "HEAD":
                return answer  # never silently turn a POST into a GET
            self.release(answer.conn, answer.response)
            req = self._redirected(req, original, location)
        return answer  # the sixth redirect: raised by send()

    def _redirected(self, req: _Request, original: Any, location: str) -> _Request:
        from urllib.parse import urljoin

        url = urljoin(req.url, location)
        new = urlsplit(url)
        headers = dict(req.headers)
        if (new.scheme, new.hostname, _port(new)) != (original.scheme, original.hostname, _port(original)):
            # Credentials go only to the origin they were given for.
            for name in list(headers):
                if name.lower() in ("authorization", "x-auth-key", "cookie"):
                    del headers[name]
        log = _logger()
        if log:
            log.debug("redirect %s -> %s", req.method, new.path)
        return _Request(req.method, url, headers, req.body, req.timeout, req.secrets)

    def _send_with_retries(self, req: _Request, stream: bool) -> _Answer:
        attempt = 0
        while True:
            try:
                answer = self._exchange(req, stream)
            except _Failure as failure:
                if attempt < self.max_retries and _may_retry_failure(req.method, failure):
                    delay = _backoff(attempt)
                    log = _logger()
                    if log:
                        log.debug(
                            "retrying %s %s after %s (attempt %d, wait %.2fs)",
                            req.method, _log_path(req.url), type(failure.cause).__name__, attempt + 1, delay,
                        )
                    _sleep(delay)
                    attempt += 1
                    continue
                raise _connection_error(failure.cause, req) from None
            log = _logger()
            if log:
                log.debug("%s %s -> %d (attempt %d)", req.method, _log_path(req.url), answer.status, attempt + 1)
            if attempt < self.max_retries and _may_retry_status(req.method, answer.status):
                wait = _retry_after(answer.header("retry-after"), time.time())
                if wait is None or wait <= _MAX_RETRY_AFTER:
                    delay = _backoff(attempt) if wait is None else wait
                    self.release(answer.conn, answer.response)
                    if log:
                        log.debug(
                            "retrying %s %s after HTTP %d (attempt %d, wait %.2fs)",
                            req.method, _log_path(req.url), answer.status, attempt + 1, delay,
                        )
                    _sleep(delay)
                    attempt += 1
                    continue
            return answer

    # -- one exchange on one connection ---------------------------------------

    def _exchange(self, req: _Request, stream: bool) -> _Answer:
        parts = urlsplit(req.url)
        key = self._routes.get((parts.scheme, parts.netloc))
        if key is None:
            key = self._route(parts, req.url)
        conn = self._pool.take(key)
        if conn is not None:
            try:
                return self._roundtrip(conn, req, parts, stream)
            except _Failure as failure:
                if not failure.stale:
                    raise
                # The server closed this idle connection before reading our request:
                # it cannot have acted, so one replay on a fresh socket is safe for
                # any method, and is not counted as a retry.
                log = _logger()
                if log:
                    log.debug("stale pooled connection; replaying %s %s", req.method, _log_path(req.url))
        conn = self._open(key, req.timeout)
        return self._roundtrip(conn, req, parts, stream, fresh=True)

    def _route(self, parts: Any, url: str) -> _OriginKey:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GumloopError("unsupported URL %r: only http and https" % _log_path(url))
        key = (parts.scheme, parts.hostname, _port(parts), _proxy_for(parts, self.proxy))
        self._routes[parts.scheme, parts.netloc] = key
        return key

    def _open(self, key: _OriginKey, timeout: Optional[float]) -> _Conn:
        import http.client

        scheme, host, port, proxy = key
        target_host, target_port = host, port
        tunnel_headers: Dict[str, str] = {}
        if proxy:
            pparts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            target_host, target_port = pparts.hostname or "", pparts.port or 8080
            if pparts.username is not None:
                from urllib.parse import unquote
                import base64

                userpass = "%s:%s" % (unquote(pparts.username), unquote(pparts.password or ""))
                tunnel_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(userpass.encode()).decode()
        http_conn: http.client.HTTPConnection
        if scheme == "https":
            http_conn = http.client.HTTPSConnection(target_host, target_port, timeout=timeout, context=self._ssl())
            if proxy:
                http_conn.set_tunnel(host, port, headers=tunnel_headers or None)
        else:
            http_conn = http.client.HTTPConnection(target_host, target_port, timeout=timeout)
        try:
            http_conn.connect()
            # Older http.client leaves Nagle on: a write must never wait for a delayed ACK.
            import socket

            http_conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, http.client.HTTPException) as exc:
            http_conn.close()
            raise _Failure(exc, _Failure.CONNECT) from None
        return _Conn(http_conn, key, tunnel_headers if (proxy and scheme == "http") else None)

    def _ssl(self) -> "ssl.SSLContext":
        with self._ssl_lock:
            if self._ssl_context is None:
                import ssl

                # create_default_context verifies certificates and host names and honours
                # SSL_CERT_FILE / SSL_CERT_DIR through OpenSSL's default paths.
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    def _roundtrip(self, conn: _Conn, req: _Request, parts: Any, stream: bool, fresh: bool = False) -> _Answer:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if not (target.isascii() and target.isprintable()) or " " in target:
            target = quote(target, safe="/%:@!$&'()*+,;=-._~?")
        host = parts.netloc.rpartition("@")[2]
        headers = req.headers
        if conn.key[3] and parts.scheme == "http":
            target = "http://%s%s" % (host, target)  # absolute form for a proxy
            if conn.proxy_headers:
                headers = dict(headers, **conn.proxy_headers)
        try:
            data = _request_head(req.method, target, host, headers, req.body)
        except ValueError:
            self._pool.give(conn)
            raise
        if req.body:
            data += req.body
        conn.set_timeout(req.timeout)
        try:
            conn.sock.sendall(data)
        except OSError as exc:
            conn.close()
            raise _Failure(exc, _Failure.SEND, stale=not fresh and not isinstance(exc, _timeout_type())) from None
        try:
            response = _read_head(conn.fp, req.method)
        except (OSError, ValueError) as exc:
            conn.close()
            # _NoResponse (a ConnectionResetError) means not one response byte came.
            stale = not fresh and isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError))
            raise _Failure(exc, _Failure.RESPONSE, stale=stale) from None
        status = response.status
        answer = _Answer(status, response, conn, None)
        if stream and status < 300:
            return answer
        try:
            answer.body = _read_body(conn.fp, response, None if status < 300 else _MAX_ERROR_BODY)
        except (OSError, ValueError) as exc:
            conn.close()
            raise _Failure(exc, _Failure.RESPONSE) from None
        self.release(conn, response)
        return answer

    def release(self, conn: _Conn, response: _Response) -> None:
        """Pool the connection if its response was read to the end and it may stay open."""
        if response.complete and not response.will_close:
            self._pool.give(conn)
        else:
            conn.close()


def _timeout_type() -> Type[BaseException]:
    import socket

    return socket.timeout


def _port(parts: Any) -> int:
    port = parts.port
    return int(port) if port else (443 if parts.scheme == "https" else 80)


def _log_path(url: str) -> str:
    """The path of a URL without its query, for logs and messages."""
    return urlsplit(url).path


###############################################################################
# Retry policy ################################################################


def _may_retry_failure(method: str, failure: _Failure) -> bool:
    """Retry a network failure only where no duplicate side effect is possible."""
    if method in _IDEMPOTENT_METHODS:
        return True
    # POST/PATCH: only when the server cannot have seen the request. A read timeout or
    # a reset after the request was written on a fresh connection may mean the work
    # is already done (a Slack message sent, a generation billed).
    return failure.phase == _Failure.CONNECT


def _may_retry_status(method: str, status: int) -> bool:
    if method in _IDEMPOTENT_METHODS:
        return status in _RETRY_STATUSES_IDEMPOTENT
    return status in _RETRY_STATUSES_UNSAFE


def _retry_after(value: Optional[str], now: float) -> Optional[float]:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _backoff(attempt: int) -> float:
    """Exponential from 0.5 s, capped at 8 s, with up to 25 % jitter taken off."""
    import random

    return min(_INITIAL_DELAY * (2.0 ** attempt), _MAX_DELAY) * (1.0 - 0.25 * random.random())


###############################################################################
# Streams #####################################################################


class _ChunkedBody:
    """HTTP/1.1 chunked transfer decoding, straight from the connection's buffered reader.

    http.client's read1() stops at every chunk boundary, so a server that flushes per
    event costs one Python round trip per event. This returns the payload of every chunk
    that one read brought in, and never waits for more once it has some.
    """

    __slots__ = ("_fp", "_framing", "_left", "_crlf", "_error", "done", "clean")

    def __init__(self, fp: Any) -> None:
        self._fp = fp  # the response's io.BufferedReader
        self._framing = b""  # an incomplete size line or trailer kept for the next read
        self._left = 0  # payload bytes still to come in the current chunk
        self._crlf = False  # the CRLF after a chunk's payload is still due
        self._error: Optional[Exception] = None  # bad framing met after payload: raised next read
        self.done = False  # the last chunk and its trailer were read
        self.clean = True  # nothing followed the end: the connection can be reused

    def read(self, size: int) -> List[bytes]:
        """Payload pieces (one per chunk, or part of one); [] only after the last chunk."""
        while not self.done:
            if self._error is not None:
                raise self._error
            data = self._fp.read1(size)
            if not data:
                raise ConnectionError("connection closed inside a chunked response")
            pieces: List[bytes] = []
            try:
                self._parse(self._framing + data if self._framing else data, pieces)
            except (ValueError, ConnectionError) as exc:
                if not pieces:
                    raise
                self._error = exc  # hand out the payload that came before it first
            if pieces:
                return pieces
        return []

    def _parse(self, buf: bytes, pieces: List[bytes]) -> None:
        pos = 0
        end = len(buf)
        self._framing = b""
        while pos < end:
            if self._left:
                piece = buf[pos : pos + self._left] if pos or end - pos > self._left else buf
                pieces.append(piece)
                self._left -= len(piece)
                pos += len(piece)
                if self._left:
                    break
                self._crlf = True
            elif self._crlf:
                if end - pos < 2:
                    self._framing = buf[pos:]
                    break
                if buf[pos : pos + 2] != b"\r\n":
                    raise ValueError("malformed chunked encoding: no CRLF after a chunk")
                pos += 2
                self._crlf = False
            else:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    if end - pos > 4096:
                        raise ValueError("malformed chunked encoding: size line too long")
                    self._framing = buf[pos:]
                    break
                try:
                    size = int(buf[pos:line_end], 16)  # the usual size line: hex digits alone
                except ValueError:
                    size = -1
                if size < 0:
                    size = _chunk_size(buf[pos:line_end])  # extensions, or malformed
                pos = line_end + 2
                if size == 0:
                    self._trailer(buf, pos)
                    return
                stop = pos + size
                if stop + 2 <= end:
                    # The whole chunk and its CRLF are here (the usual case): take it at once.
                    pieces.append(buf[pos:stop])
                    if buf[stop : stop + 2] != b"\r\n":
                        raise ValueError("malformed chunked encoding: no CRLF after a chunk")
                    pos = stop + 2
                else:
                    self._left = size

    def _trailer(self, buf: bytes, pos: int) -> None:
        """After the last chunk: trailer lines up to a blank line (usually just CRLF)."""
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                # Rare: the trailer is split across reads; finish it with blocking reads.
                rest = buf[pos:] + self._fp.readline(65537)
                if not rest.endswith(b"\n"):
                    raise ConnectionError("connection closed inside a chunked response")
                buf, pos = rest, 0
                continue
            if line_end == pos:
                self.done = True
                self.clean = line_end + 2 == len(buf)  # else: bytes after the end, do not reuse
                return
            pos = line_end + 2


def _chunk_size(line: bytes) -> int:
    """The size on a chunk's size line that has more than hex digits: `;extensions`, spaces."""
    try:
        size = int(line.split(b";", 1)[0].strip(), 16)
    except ValueError:
        raise ValueError("malformed chunked encoding: bad chunk size") from None
    if size < 0:
        raise ValueError("malformed chunked encoding: negative chunk size")
    return size


class _SSEResponse:
    """An open SSE response: one read at a time (no read-ahead); releases its socket."""

    _data_only: bool  # decode to each event's data (Stream) rather than to events

    def __init__(self, transport: _Transport, answer: _Answer, req: _Request) -> None:
        self._transport = transport
        self._req = req
        self._response = answer.response
        self._conn = answer.conn
        self._secrets = req.secrets
        self._body = _ChunkedBody(answer.conn.fp) if answer.response.chunked else None
        self._decoder = decoder = SSEDecoder()
        self._decode: Callable[[List[bytes]], List[Any]] = decoder._data_of if self._data_only else decoder._events_of
        self._pending: List[Any] = []  # what the last read decoded: events, or their data
        self._pos = 0
        self._closed = False
        timeout = req.timeout
        self._deadline = None if timeout is None else _monotonic() + timeout
        self._lock = _new_lock()

    def _next(self) -> Any:
        """The next event (its data only, for a Stream), or None at the clean end of the body."""
        while self._pos >= len(self._pending):
            if self._closed:
                return None
            pieces = self._read()
            if not pieces:
                self._end_of_body()
                return None
            # One piece per HTTP chunk, which is usually one whole event: fed one by one
            # they take the decoder's fast path; joined, the last one is often cut short.
            self._pending = self._decode(pieces)
            self._pos = 0
        item = self._pending[self._pos]
        self._pos += 1
        return item

    def _read(self) -> List[bytes]:
        """What one read brought in, as payload pieces; [] at the clean end of the body."""
        deadline = self._deadline
        if deadline is not None:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                self._fail(_timeout_type()("stream_timeout reached"))
            # Keep-alive comments must not extend the total deadline; adjusting the
            # socket timeout only when it is far off keeps syscalls off the hot path.
            current = self._conn.timeout
            if current is None or remaining < current * 0.5:
                self._conn.set_timeout(remaining)
        try:
            if self._body is not None:
                return self._body.read(_READ_SIZE)
            return self._read_plain()
        except Exception as exc:
            if self._closed:
                # close() from another thread shut the socket down under this read;
                # whatever was raised on the way out, the stream simply ends.
                return []
            if not isinstance(exc, (OSError, ValueError)):
                raise
            self._fail(exc)
            raise  # unreachable

    def _read_plain(self) -> List[bytes]:
        """A body with a Content-Length, or one that ends when the connection closes."""
        response = self._response
        left = response.length
        if left == 0:
            return []
        data = self._conn.fp.read1(_READ_SIZE if left is None else min(_READ_SIZE, left))
        if not data:
            if left:
                raise ConnectionError("connection closed %d bytes before the end of the response" % left)
            return []
        if left is not None:
            response.length = left - len(data)
        return [data]

    def _fail(self, exc: BaseException) -> None:
        self.close()
        raise _connection_error(exc, self._req) from None

    def _end_of_body(self) -> None:
        if self._closed:
            return
        self._decoder.close()
        self._release()

    def _finish_after_done(self) -> None:
        """[DONE] arrived: read the end of the body if it is (nearly) there, then pool."""
        if self._closed:
            return
        if self._response.will_close:
            self.close()
            return
        try:
            self._conn.set_timeout(_DONE_GRACE)
            rest = b"".join(self._body.read(_READ_SIZE) if self._body is not None else self._read_plain())
        except Exception:
            rest = b"-"
        if rest:
            self.close()  # not the end, or not soon: the connection cannot be reused
        else:
            self._release()

    def _release(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        response = self._response
        body = self._body
        response.complete = (body.done and body.clean) if body is not None else response.length == 0
        self._transport.release(self._conn, response)

    def close(self) -> None:
        """Release the connection now; safe to call twice and from another thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._conn.shutdown()

    def __enter__(self: Any) -> Any:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class EventStream(_SSEResponse):
    """`client.stream(...)`: every server-sent event as it arrives."""

    def __iter__(self) -> "EventStream":
        return self

    _data_only = False

    def __next__(self) -> ServerSentEvent:
        event: Optional[ServerSentEvent] = self._next()
        if event is None:
            raise StopIteration
        return event

    def __enter__(self) -> "EventStream":
        return self


# The scanner behind JSONDecoder.raw_decode (C when available), called without raw_decode's
# Python frame: it returns (value, end), or raises StopIteration when no value starts at 0.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set by __init__, not in the stubs


def _loads_json(text: str) -> Any:
    """json.loads(text), or None when it is not JSON; skips json.loads' two regex passes."""
    try:
        value, end = _scan_json(text, 0)
    except (StopIteration, ValueError):
        value, end = None, -1  # leading whitespace, or not JSON: let json.loads decide
    if end == len(text):
        return value
    try:
        return json.loads(text)
    except ValueError:
        return None


_CHUNK_NESTED = ChatStreamChunk._hidden - {"choices"}
_CHOICE_NESTED = ChatStreamChoice._hidden - {"delta"}
_DELTA_NESTED = ChatStreamDelta._hidden


def _stream_chunk(raw: Dict[str, Any]) -> ChatStreamChunk:
    """`_build(ChatStreamChunk, raw)` for the usual shape, inlined: this runs once per chunk.

    Anything else (usage, an error, tool calls, images, odd types) takes the general path.
    """
    choices = raw.get("choices")
    if type(choices) is not list or not _CHUNK_NESTED.isdisjoint(raw):
        return _build(ChatStreamChunk, raw)
    new = object.__new__
    built = []
    for choice_raw in choices:
        if type(choice_raw) is not dict:
            continue
        delta_raw = choice_raw.get("delta")
        if type(delta_raw) is not dict or not _CHOICE_NESTED.isdisjoint(choice_raw) or not _DELTA_NESTED.isdisjoint(delta_raw):
            return _build(ChatStreamChunk, raw)
        delta = new(ChatStreamDelta)
        attrs = delta.__dict__
        attrs.update(delta_raw)
        attrs["_raw"] = delta_raw
        choice = new(ChatStreamChoice)
        attrs = choice.__dict__
        attrs.update(choice_raw)
        attrs["delta"] = delta
        attrs["_raw"] = choice_raw
        built.append(choice)
    chunk = new(ChatStreamChunk)
    attrs = chunk.__dict__
    attrs.update(raw)
    attrs["choices"] = built
    attrs["_raw"] = raw
    return chunk


class Stream(_SSEResponse):
    """A streamed chat completion: iterate `ChatStreamChunk`s, or `collect()` them."""

    def __iter__(self) -> "Stream":
        return self

    def __enter__(self) -> "Stream":
        return self

    _data_only = True  # the decoder hands over each event's data: no event objects

    def __next__(self) -> ChatStreamChunk:
        while True:
            pos = self._pos
            if pos < len(self._pending):  # inlined _next(): once per chunk
                data: str = self._pending[pos]
                self._pos = pos + 1
            else:
                data = self._next()
                if data is None:
                    raise StopIteration
            if data == "[DONE]":
                self._finish_after_done()
                raise StopIteration
            obj = _loads_json(data)
            if type(obj) is dict:
                return _stream_chunk(obj)
            log = _logger()
            if log:
                log.debug("skipping a stream event that is not a JSON object (%d bytes)", len(data))

    def collect(self) -> ChatResult:
        """Read the rest of the stream into one ChatResult (raises StreamError on an error chunk)."""
        merger = _ChunkMerger()
        try:
            for chunk in self:
                if chunk.error is not None:
                    error = chunk.error
                    message = error.message if isinstance(error.message, str) else "stream reported an error"
                    raise StreamError(
                        _redact(message, self._secrets), code=error.code, partial=merger.result()
                    )
                merger.add(chunk)
        finally:
            self.close()
        return merger.result()


class _ChunkMerger:
    """Folds stream chunks into the shape of a unary result."""

    def __init__(self) -> None:
        self.head: Dict[str, Any] = {}
        self.choices: Dict[int, Dict[str, Any]] = {}
        self.tool_calls: Dict[int, Dict[int, Dict[str, Any]]] = {}
        self.usage: Optional[Dict[str, Any]] = None

    def add(self, chunk: ChatStreamChunk) -> None:
        raw: Dict[str, Any] = chunk.__dict__["_raw"]
        for key in ("id", "created", "model", "system_fingerprint"):
            if raw.get(key) is not None and key not in self.head:
                self.head[key] = raw[key]
        if isinstance(raw.get("usage"), dict):
            self.usage = raw["usage"]
        for position, choice in enumerate(chunk.choices):
            index = choice.index if isinstance(choice.index, int) else position
            merged = self.choices.setdefault(index, {"index": index, "message": {"role": "assistant", "content": None}, "finish_reason": None})
            message = merged["message"]
            delta = choice.delta
            if isinstance(delta.role, str):
                message["role"] = delta.role
            if isinstance(delta.content, str):
                message["content"] = (message["content"] or "") + delta.content
            for name in ("reasoning", "refusal"):
                value = getattr(delta, name)
                if isinstance(value, str):
                    message[name] = message.get(name, "") + value
            if delta.images:
                message.setdefault("images", []).extend(image.to_dict() for image in delta.images)
            for position_tc, call in enumerate(delta.tool_calls or ()):
                self._add_tool_call(index, position_tc, call)
            if choice.finish_reason is not None:
                merged["finish_reason"] = choice.finish_reason

    def _add_tool_call(self, choice: int, position: int, call: ToolCall) -> None:
        calls = self.tool_calls.setdefault(choice, {})
        slot = call.index if isinstance(call.index, int) else position
        merged = calls.setdefault(slot, {"id": None, "type": "function", "function": {"name": None, "arguments": ""}})
        if call.id is not None:
            merged["id"] = call.id
        if call.type is not None:
            merged["type"] = call.type
        function = call.function
        if isinstance(function.name, str):
            merged["function"]["name"] = (merged["function"]["name"] or "") + function.name
        if isinstance(function.arguments, str):
            merged["function"]["arguments"] += function.arguments

    def result(self) -> ChatResult:
        raw: Dict[str, Any] = {"object": "chat.completion"}
        raw.update(self.head)
        choices = []
        for index in sorted(self.choices):
            choice = _copy_json(self.choices[index])
            calls = self.tool_calls.get(index)
            if calls:
                choice["message"]["tool_calls"] = [_copy_json(calls[k]) for k in sorted(calls)]
            choices.append(choice)
        raw["choices"] = choices
        if self.usage is not None:
            raw["usage"] = _copy_json(self.usage)
        return _build(ChatResult, raw)


###############################################################################
# Client ######################################################################


def _env(name: str) -> Optional[str]:
    return os.environ.get(name) or None


def _derive_stream_base_url(base_url: str) -> str:
    return base_url.replace("api.gumloop.com", "ws.gumloop.com").replace("localhost:8080", "localhost:9093")


_user_agent: Optional[str] = None


def _get_user_agent() -> str:
    global _user_agent
    if _user_agent is None:
        # What platform.python_version() / platform.system() say, without importing platform.
        version = "%d.%d.%d" % sys.version_info[:3]
        system = os.uname().sysname if hasattr(os, "uname") else ("Windows" if os.name == "nt" else sys.platform)
        _user_agent = "gumloop-lite/%s Python/%s %s" % (__version__, version, system)
    return _user_agent


def _encode_query(params: Mapping[str, Any]) -> str:
    pairs: List[Tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, _query_value(v)) for v in value if v is not None)
        else:
            pairs.append((key, _query_value(value)))
    return urlencode(pairs)


def _query_value(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _encode_json(body: Any) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError("request body is not JSON-serialisable: %s" % exc) from None


def _decode_body(raw: Optional[bytes], secrets: Sequence[str]) -> Any:
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise GumloopError(
            "Gumloop API returned a success response that is not JSON: %s" % _redact(_excerpt(raw), secrets)
        ) from None


def _segment(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("%s must be a non-empty string, got %r" % (name, value))
    return quote(value, safe="")


class Gumloop:
    """The Gumloop API client: `chat.completions`, `mcp`, and `request` / `stream` for the rest."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        access_token: Optional[str] = None,
        user_id: Optional[str] = None,
        team_id: Optional[str] = None,
        base_url: Optional[str] = None,
        stream_base_url: Optional[str] = None,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        stream_timeout: Optional[float] = DEFAULT_STREAM_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Optional[Mapping[str, str]] = None,
        ssl_context: Optional["ssl.SSLContext"] = None,
        proxy: Optional[str] = None,
    ) -> None:
        explicit = access_token or api_key
        if explicit is not None and not isinstance(explicit, str):
            raise TypeError("access_token / api_key must be a string")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError("max_retries must be a non-negative integer")
        self._token: Optional[_Secret] = _Secret(explicit, "access_token" if access_token else "api_key") if explicit else None
        self._env_token_at_init = _env("GUMLOOP_ACCESS_TOKEN")
        self.user_id = user_id or _env("GUMLOOP_USER_ID")
        self.team_id = team_id or _env("GUMLOOP_TEAM_ID")
        self.base_url = (base_url or _env("GUMLOOP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.stream_base_url = (
            stream_base_url or _env("GUMLOOP_STREAM_BASE_URL") or _derive_stream_base_url(self.base_url)
        ).rstrip("/")
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        self._transport = _Transport(max_retries=max_retries, ssl_context=ssl_context, proxy=proxy)
        self.chat = _Chat(self)
        self.mcp = _Mcp(self)

    # -- credentials -------------------------------------------------------------

    @property
    def access_token(self) -> Optional[str]:
        """The token the next request will send (explicit, else GUMLOOP_ACCESS_TOKEN)."""
        if self._token is not None:
            return self._token.value
        # Rotated tokens (per-invocation sandbox credentials) are picked up on every call.
        return _env("GUMLOOP_ACCESS_TOKEN") or self._env_token_at_init

    def _token_source(self) -> str:
        if self._token is not None:
            return "<set: %s>" % self._token.source
        if self.access_token:
            return "<set: env GUMLOOP_ACCESS_TOKEN>"
        return "<missing>"

    def __repr__(self) -> str:
        return "Gumloop(base_url=%r, stream_base_url=%r, token=%s, user_id=%r, team_id=%r)" % (
            self.base_url, self.stream_base_url, self._token_source(), self.user_id, self.team_id,
        )

    def _headers(self, accept: str, has_body: bool) -> Tuple[Dict[str, str], Tuple[str, ...]]:
        token = self.access_token
        if not token:
            raise AuthenticationError(
                "No Gumloop credential: pass access_token= (or api_key=) or set GUMLOOP_ACCESS_TOKEN"
            )
        headers = {"User-Agent": _get_user_agent(), "Accept": accept}
        if has_body:
            headers["Content-Type"] = "application/json"
        headers.update(self.default_headers)
        headers["Authorization"] = "Bearer " + token
        if self.user_id:
            headers["x-auth-key"] = self.user_id
        traceparent = _env("TRACEPARENT")
        if traceparent:
            headers["traceparent"] = traceparent
            tracestate = _env("TRACESTATE")
            if tracestate:
                headers["tracestate"] = tracestate
        return headers, (token,)

    # -- the two generic calls ---------------------------------------------------

    def _prepare(
        self,
        method: str,
        path: str,
        params: Optional[Mapping[str, Any]],
        json_body: Any,
        stream_host: bool,
        timeout: Optional[float],
        accept: str,
        long_running: bool,
    ) -> _Request:
        if not isinstance(method, str) or not isinstance(path, str):
            raise TypeError("method and path must be strings")
        if params is not None and not isinstance(params, _MappingABC):
            raise TypeError("params must be a mapping")
        base = self.stream_base_url if stream_host else self.base_url
        query = dict(params or {})
        if not stream_host and self.team_id:
            query.setdefault("team_id", self.team_id)
        url = base + "/" + path.lstrip("/")
        encoded = _encode_query(query)
        if encoded:
            url += ("&" if "?" in url else "?") + encoded
        body = None if json_body is None else _encode_json(json_body)
        headers, secrets = self._headers(accept, body is not None)
        if timeout is None:
            timeout = self.stream_timeout if (stream_host or long_running) else self.timeout
        return _Request(method.upper(), url, headers, body, timeout, secrets)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        stream_host: bool = False,
        timeout: Optional[float] = None,
    ) -> Any:
        """Call any endpoint; returns the decoded JSON (None for an empty body)."""
        req = self._prepare(method, path, params, json, stream_host, timeout, "application/json", False)
        return self._transport.call_json(req)

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        stream_host: bool = True,
        timeout: Optional[float] = None,
    ) -> EventStream:
        """Open any SSE endpoint; iterate the ServerSentEvents, close() when done."""
        req = self._prepare(method, path, params, json, stream_host, timeout, "text/event-stream", True)
        return EventStream(self._transport, self._transport.send(req, stream=True), req)

    def close(self) -> None:
        """Close every pooled connection."""
        self._transport.close()

    def __enter__(self) -> "Gumloop":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Completions:
    def __init__(self, client: Gumloop) -> None:
        self._client = client

    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None, **kwargs: Any
    ) -> Any:
        """Create a chat completion: a ChatResult, or a Stream with stream=True."""
        if request is not None and not isinstance(request, _MappingABC):
            raise TypeError("request must be a mapping of request fields, got %s" % type(request).__name__)
        body = dict(request or {})
        body.update((k, v) for k, v in kwargs.items() if v is not None)
        client = self._client
        streaming = body.get("stream") is True
        accept = "text/event-stream" if streaming else "application/json"
        req = client._prepare("POST", "chat/completions", None, body, True, timeout, accept, True)
        if streaming:
            return Stream(client._transport, client._transport.send(req, stream=True), req)
        return _result_object(ChatResult, client._transport.call_json(req), "chat completion")


class _Chat:
    def __init__(self, client: Gumloop) -> None:
        self.completions = _Completions(client)


class _Mcp:
    """`client.mcp`: tool execution and the read endpoints."""

    def __init__(self, client: Gumloop) -> None:
        self._client = client

    def _get(self, cls: Type[_M], path: str, params: Dict[str, Any], team_id: Optional[str], timeout: Optional[float]) -> _M:
        if team_id is not None:
            params["team_id"] = team_id
        return _result_object(cls, self._client.request("GET", path, params=params, timeout=timeout), path)

    def _post_with_team(self, path: str, body: Dict[str, Any], team_id: Optional[str], timeout: Optional[float]) -> Any:
        team = team_id if team_id is not None else self._client.team_id
        if team is not None:
            body["team_id"] = team
        params = {"team_id": team_id} if team_id is not None else None
        return self._client.request("POST", path, params=params, json=body, timeout=timeout)

    def execute(
        self,
        server_id: str,
        tool_name: str,
        arguments: Optional[Mapping[str, Any]] = None,
        *,
        ref: Optional[str] = None,
        account: Optional[str] = None,
        team_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> McpExecuteResponse:
        """Run one MCP tool; failures of the tool come back on the result, not as exceptions."""
        call = McpToolCallRequest(server_id, tool_name, dict(arguments) if arguments is not None else None, ref, account)
        return self.execute_many([call], team_id=team_id, timeout=timeout)

    def execute_many(
        self,
        calls: Sequence[Union[McpToolCallRequest, Mapping[str, Any]]],
        *,
        team_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> McpExecuteResponse:
        """Run 1 to 5 MCP tool calls in one request."""
        if isinstance(calls, (str, bytes, _MappingABC)) or not isinstance(calls, _SequenceABC):
            raise TypeError("calls must be a list of dicts or McpToolCallRequest")
        if not calls:
            raise ValueError("calls cannot be empty")
        if len(calls) > 5:
            raise ValueError("calls cannot exceed 5 items per request")
        wire = [_mcp_call(call) for call in calls]
        body = self._post_with_team("mcp/tools/call", {"calls": wire}, team_id, timeout)
        return _result_object(McpExecuteResponse, body, "mcp/tools/call")

    def list_servers(self, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpServersResponse:
        return self._get(McpServersResponse, "mcp/servers", params, team_id, timeout)

    def get_server(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpServerResponse:
        return self._get(McpServerResponse, "mcp/servers/" + _segment(server_id, "server_id"), params, team_id, timeout)

    def list_accounts(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None) -> McpServerAccountsResponse:
        path = "mcp/servers/%s/accounts" % _segment(server_id, "server_id")
        return self._get(McpServerAccountsResponse, path, {}, team_id, timeout)

    def list_tools(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpToolsResponse:
        path = "mcp/servers/%s/tools" % _segment(server_id, "server_id")
        return self._get(McpToolsResponse, path, params, team_id, timeout)

    def list_resources(
        self, server_id: str, *, cursor: Optional[str] = None, team_id: Optional[str] = None,
        timeout: Optional[float] = None, **params: Any,
    ) -> McpResourcesResponse:
        path = "mcp/servers/%s/resources" % _segment(server_id, "server_id")
        return self._get(McpResourcesResponse, path, dict(params, cursor=cursor), team_id, timeout)

    def get_resource(
        self, server_id: str, uri: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpResourceReadResponse:
        path = "mcp/servers/%s/resources/read" % _segment(server_id, "server_id")
        return self._get(McpResourceReadResponse, path, dict(params, uri=uri), team_id, timeout)

    def list_prompts(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpPromptsResponse:
        path = "mcp/servers/%s/prompts" % _segment(server_id, "server_id")
        return self._get(McpPromptsResponse, path, params, team_id, timeout)

    def get_prompt(
        self, server_id: str, name: str, arguments: Optional[Mapping[str, Any]] = None, *,
        team_id: Optional[str] = None, timeout: Optional[float] = None,
    ) -> McpPromptResponse:
        path = "mcp/servers/%s/prompts/get" % _segment(server_id, "server_id")
        body = {"name": name, "arguments": dict(arguments or {})}
        return _result_object(McpPromptResponse, self._post_with_team(path, body, team_id, timeout), path)


def _mcp_call(call: Union[McpToolCallRequest, Mapping[str, Any]]) -> Dict[str, Any]:
    if isinstance(call, McpToolCallRequest):
        wire = call.to_dict()
    elif isinstance(call, _MappingABC):
        wire = {k: v for k, v in call.items() if v is not None or k == "arguments"}
        if wire.get("arguments") is None:
            wire["arguments"] = {}
    else:
        raise TypeError("each call must be a dict or McpToolCallRequest, got %s" % type(call).__name__)
    for name in ("server_id", "tool_name"):
        if not isinstance(wire.get(name), str) or not wire[name]:
            raise TypeError("each call needs a non-empty string %s" % name)
    if not isinstance(wire["arguments"], _MappingABC):
        raise TypeError("arguments must be a dict, got %s" % type(wire["arguments"]).__name__)
    return wire


###############################################################################
# Legacy flows client #########################################################


class GumloopClient:
    """The flows client: start a saved flow and poll it to the end. Use `Gumloop` for new code."""

    def __init__(self, api_key: str, user_id: str, project_id: Optional[str] = None, *, base_url: Optional[str] = None) -> None:
        import warnings

        warnings.warn(
            "GumloopClient is the legacy flows client (run_flow / get_run_status); "
            "for chat, MCP and other new code use gumloop.Gumloop.",
            DeprecationWarning,
            stacklevel=2,
        )
        if not isinstance(api_key, str) or not api_key:
            raise TypeError("api_key must be a non-empty string")
        self._api_key = _Secret(api_key, "api_key")
        self.user_id = user_id
        self.project_id = project_id
        self.base_url = (base_url or _env("GUMLOOP_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout: Optional[float] = DEFAULT_TIMEOUT
        self._transport = _Transport()

    @property
    def api_key(self) -> str:
        return self._api_key.value

    def __repr__(self) -> str:
        return "GumloopClient(base_url=%r, api_key=%r, user_id=%r, project_id=%r)" % (
            self.base_url, self._api_key, self.user_id, self.project_id,
        )

    def _call(self, method: str, path: str, *, params: Optional[Dict[str, Any]] = None, body: Any = None) -> Any:
        url = self.base_url.rstrip("/") + "/" + path
        if params:
            url += "?" + _encode_query(params)
        headers = {
            "User-Agent": _get_user_agent(),
            "Accept": "application/json",
            "Authorization": "Bearer " + self._api_key.value,
        }
        data = None
        if body is not None:
            data = _encode_json(body)
            headers["Content-Type"] = "application/json"
        req = _Request(method, url, headers, data, self.timeout, (self._api_key.value,))
        return self._transport.call_json(req)

    def start_flow(self, flow_id: str, inputs: Optional[Mapping[str, Any]] = None) -> str:
        """Start a saved flow; returns its run_id."""
        if not isinstance(flow_id, str) or not flow_id:
            raise TypeError("flow_id must be a non-empty string")
        if inputs is not None and not isinstance(inputs, _MappingABC):
            raise TypeError("inputs must be a dict of input name to value")
        body: Dict[str, Any] = {
            "user_id": self.user_id,
            "saved_item_id": flow_id,
            "pipeline_inputs": [{"input_name": k, "value": v} for k, v in (inputs or {}).items()],
        }
        if self.project_id:
            body["project_id"] = self.project_id
        answer = self._call("POST", "start_pipeline", body=body)
        run_id = answer.get("run_id") if isinstance(answer, dict) else None
        if not isinstance(run_id, str) or not run_id:
            raise GumloopError("start_pipeline answered without a run_id")
        return run_id

    def get_run_status(self, run_id: str) -> Dict[str, Any]:
        """The run's status dict: state, outputs, log."""
        params: Dict[str, Any] = {"run_id": run_id, "user_id": self.user_id}
        if self.project_id:
            params["project_id"] = self.project_id
        status = self._call("GET", "get_pl_run", params=params)
        if not isinstance(status, dict):
            raise GumloopError("get_pl_run answered with something other than a JSON object")
        return status

    def run_flow(
        self,
        flow_id: str,
        inputs: Optional[Mapping[str, Any]] = None,
        poll_interval: float = 1.0,
        timeout: Optional[float] = None,
        *,
        on_status: Optional[Callable[[Dict[str, Any]], None]] = None,
    ) -> Any:
        """Start the flow, poll until it ends, return its outputs."""
        run_id = self.start_flow(flow_id, inputs)
        started = _monotonic()
        status: Dict[str, Any] = {}
        failures = 0
        while True:
            if timeout is not None and _monotonic() - started >= timeout:
                raise FlowTimeoutError(
                    "flow run %s did not finish within %s s" % (run_id, timeout),
                    run_id=run_id, state=status.get("state"), log=status.get("log"),
                )
            try:
                status = self.get_run_status(run_id)
                failures = 0
            except (APIConnectionError, InternalServerError) as exc:
                # The transport already retried; a busy or flaky API should not end a
                # long run, but five failures in a row is an outage.
                failures += 1
                if failures >= _FLOW_MAX_POLL_FAILURES:
                    raise
                log = _logger()
                if log:
                    log.debug("flow poll failed (%d in a row): %s", failures, type(exc).__name__)
            else:
                if on_status is not None:
                    on_status(status)
                state = status.get("state")
                if state == "DONE":
                    return status.get("outputs")
                if state == "FAILED":
                    raise FlowRunError(
                        "flow run %s failed" % run_id, run_id=run_id, state=state, log=status.get("log")
                    )
                if state in ("TERMINATING", "TERMINATED"):
                    raise FlowRunError(
                        "flow run %s was terminated" % run_id, run_id=run_id, state=state, log=status.get("log")
                    )
            wait = poll_interval
            if timeout is not None:
                wait = min(wait, max(0.0, started + timeout - _monotonic()))
            _sleep(wait)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "GumloopClient":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


###############################################################################
# Command line ################################################################


def _build_parser() -> Any:
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", help="API base URL (default: GUMLOOP_BASE_URL or %s)" % DEFAULT_BASE_URL)
    common.add_argument("--team-id", help="team scope (default: GUMLOOP_TEAM_ID)")
    parser = argparse.ArgumentParser(
        prog="gumloop",
        description="Talk to the Gumloop API. Credentials come from GUMLOOP_ACCESS_TOKEN "
        "(and GUMLOOP_USER_ID for flows).",
    )
    parser.add_argument("--version", action="version", version="gumloop-lite " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="{chat,mcp,flow}")
    sub.required = True
    chat = sub.add_parser("chat", parents=[common], help="chat completion, streamed to stdout")
    chat.add_argument("prompt", help="the user message; - reads standard input")
    chat.add_argument("-m", "--model", default=DEFAULT_CHAT_MODEL, help="model (default: %(default)s)")
    chat.add_argument("--system", help="a system message")
    chat.add_argument("--json", action="store_true", help="print one JSON object per line")
    chat.add_argument("--no-stream", action="store_true", help="wait for the whole answer")
    chat.add_argument("--save-images", metavar="DIR", help="write images in the reply to DIR")
    mcp = sub.add_parser("mcp", parents=[common], help="run one MCP tool")
    mcp.add_argument("server_id")
    mcp.add_argument("tool_name")
    mcp.add_argument("--args", default="{}", help="tool arguments as a JSON object")
    flow = sub.add_parser("flow", parents=[common], help="run a saved flow and print its outputs")
    flow.add_argument("flow_id")
    flow.add_argument("--input", action="append", default=[], metavar="NAME=VALUE", help="a flow input (repeatable)")
    flow.add_argument("--project-id", help="workspace project id")
    flow.add_argument("--timeout", type=float, help="give up after S seconds")
    return parser


def _main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "mcp":
            try:
                tool_args = json.loads(args.args)
            except ValueError as exc:
                parser.error("--args is not valid JSON: %s" % exc)
            if not isinstance(tool_args, dict):
                parser.error("--args must be a JSON object")
            return _cli_mcp(args, tool_args, out, err)
        if args.command == "flow":
            inputs: Dict[str, Any] = {}
            for item in args.input:
                name, eq, value = item.partition("=")
                if not eq or not name:
                    parser.error("--input takes NAME=VALUE, got %r" % item)
                inputs[name] = value
            return _cli_flow(args, inputs, out, err)
        return _cli_chat(args, out, err)
    except AuthenticationError as exc:
        if isinstance(exc, APIStatusError):
            err.write("error: HTTP %d: %s\n" % (exc.status_code, exc))
        else:
            err.write("error: no credential: set GUMLOOP_ACCESS_TOKEN\n")
        return 1
    except APIStatusError as exc:
        err.write("error: HTTP %d: %s\n" % (exc.status_code, exc))
        return 1
    except (FlowRunError, FlowTimeoutError) as exc:
        err.write("error: %s\n" % exc)
        return 1
    except GumloopError as exc:
        err.write("error: %s\n" % exc)
        return 1
    except KeyboardInterrupt:
        err.write("\n")
        return 130


def _cli_client(args: Any) -> Gumloop:
    return Gumloop(base_url=args.base_url, team_id=args.team_id)


def _cli_chat(args: Any, out: Any, err: Any) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})
    with _cli_client(args) as client:
        if args.no_stream:
            result = client.chat.completions.create(model=args.model, messages=messages)
            if args.json:
                out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            else:
                message = result.choices[0].message if result.choices else ChatMessage()
                out.write((message.content or "") + "\n")
        else:
            stream = client.chat.completions.create(model=args.model, messages=messages, stream=True)
            merger = _ChunkMerger()
            with stream:
                for chunk in stream:
                    merger.add(chunk)
                    if args.json:
                        out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
                    elif chunk.error is not None:
                        raise StreamError(str(chunk.error.message or "stream error"), code=chunk.error.code)
                    else:
                        for choice in chunk.choices[:1]:
                            if choice.delta.content:
                                out.write(choice.delta.content)
                    out.flush()
            if not args.json:
                out.write("\n")
            result = merger.result()
        out.flush()
        _cli_notes(result, args.save_images, err)
    return 0


def _cli_notes(result: ChatResult, save_dir: Optional[str], err: Any) -> None:
    for choice in result.choices[:1]:
        for call in choice.message.tool_calls or ():
            err.write("[tool call: %s(%s)]\n" % (call.function.name, call.function.arguments or ""))
        for number, image in enumerate(choice.message.images or (), 1):
            if save_dir:
                os.makedirs(save_dir, exist_ok=True)
                extension = (image.media_type or "image/png").split("/")[-1]
                path = image.save(os.path.join(save_dir, "image-%d.%s" % (number, extension)))
                err.write("[image saved: %s]\n" % path)
            else:
                err.write("[image %d: %s; use --save-images DIR]\n" % (number, image.media_type or "url"))


def _cli_mcp(args: Any, tool_args: Dict[str, Any], out: Any, err: Any) -> int:
    with _cli_client(args) as client:
        response = client.mcp.execute(args.server_id, args.tool_name, tool_args)
    failed = False
    for result in response.results:
        if not result.ok:
            failed = True
            err.write("error: %s: %s\n" % (result.status, json.dumps(result.error, ensure_ascii=False)))
            continue
        for item in result.decoded_content or ():
            out.write((item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, indent=2)) + "\n")
    return 1 if failed or not response.results else 0


def _cli_flow(args: Any, inputs: Dict[str, Any], out: Any, err: Any) -> int:
    import warnings

    token = _env("GUMLOOP_ACCESS_TOKEN")
    if not token:
        raise AuthenticationError("no credential")
    user_id = _env("GUMLOOP_USER_ID")
    if not user_id:
        err.write("error: flows need GUMLOOP_USER_ID\n")
        return 1
    started = _monotonic()
    show = err.isatty()

    def progress(status: Dict[str, Any]) -> None:
        if show:
            err.write("\r%6.1fs  %-12s" % (_monotonic() - started, status.get("state")))
            err.flush()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = GumloopClient(token, user_id, args.project_id, base_url=args.base_url)
    with client:
        outputs = client.run_flow(args.flow_id, inputs, timeout=args.timeout, on_status=progress)
    if show:
        err.write("\n")
    out.write(json.dumps(outputs, ensure_ascii=False, indent=2) + "\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of `python -m gumloop` / `python gumloop.py`."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    # `python gumloop.py` runs this file as __main__; make a later `import gumloop`
    # return this same module, so there is one GumloopError class, not two.
    sys.modules.setdefault("gumloop", sys.modules["__main__"])
    sys.exit(main())
