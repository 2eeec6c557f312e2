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
GUMLOOP_STREAM_BASE_URL, HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY, SSL_CERT_FILE,
TRACEPARENT / TRACESTATE. Command line: ``python gumloop.py chat "Capital of Canada?"``. CPython 3.8 to 3.14.

Reading order: constants, errors, result objects, SSE parser, transport, retry policy,
streams, client, async client, legacy flows client, command line.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import sys
from _thread import _local as _ThreadLocal, allocate_lock as _new_lock  # threading's own, which costs ~1 ms to import
import time
from collections import deque
from collections.abc import Mapping as _MappingABC, Sequence as _SequenceABC
from urllib.parse import quote, unquote, unquote_to_bytes, urlencode, urljoin, urlsplit

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for type checkers only: `typing` costs ~4 ms at import
    import http.client
    import ssl
    from typing import (
        Any,
        Callable,
        Dict,
        Iterable,
        Iterator,
        List,
        Literal,
        Mapping,
        NoReturn,
        Optional,
        Sequence,
        Tuple,
        Type,
        TypeVar,
        Union,
        overload,
    )

    _M = TypeVar("_M", bound="_Model")
    _S = TypeVar("_S", bound="_EventSource")
    _A = TypeVar("_A", bound="_AsyncEvents")
    _T = TypeVar("_T")
    _Convert = Callable[[Any], Any]
    _OriginKey = Tuple[str, str, int, Optional[str]]  # scheme, host, port, proxy URL
else:

    def overload(function: _T) -> _T:  # typing.overload, for type checkers only
        return function

__version__ = "0.3.0"

__all__ = [
    # client
    "Gumloop",
    "AsyncGumloop",
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
    "AsyncStream",
    "AsyncEventStream",
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

# The official package spreads these names over submodules (`from gumloop.types import
# McpServer`, `from gumloop.spec import ChatResult`, `from gumloop.errors import
# APIStatusError`, `import gumloop.spec`). One file stays one file: each of those
# submodules is this module.
for _submodule in ("types", "spec", "errors"):
    sys.modules.setdefault("%s.%s" % (__name__, _submodule), sys.modules[__name__])
    globals().setdefault(_submodule, sys.modules[__name__])


def _debug(message: str, *args: Any) -> None:
    # A DEBUG record on logging.getLogger("gumloop") (per attempt, retry and redirect),
    # scrubbed of tokens (a server may echo one in a request id). Until the application
    # imports logging, no handler exists that could receive one, so logging (~3 ms) is not
    # imported for it. The NullHandler keeps a library from ever printing through
    # logging.lastResort.
    logging = sys.modules.get("logging")
    if logging is not None:
        logger = logging.getLogger("gumloop")
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", _scrub(message % args))

###############################################################################
# Constants ###################################################################

DEFAULT_BASE_URL = "https://api.gumloop.com/api/v1"
DEFAULT_TIMEOUT = 90.0  # seconds, a call to the API base: its whole budget, retries included
DEFAULT_STREAM_TIMEOUT = 3600.0  # seconds, chat and SSE: a call's whole budget, the stream's length included
DEFAULT_MAX_RETRIES = 2
DEFAULT_CHAT_MODEL = "claude-sonnet-4-5"  # the CLI's default model

_INITIAL_DELAY = 0.5  # first backoff, doubled per attempt
_MAX_DELAY = 8.0  # backoff cap
_MAX_RETRY_AFTER = 60.0  # a longer Retry-After is not waited for: the error is raised
_MAX_REDIRECTS = 5
_MAX_ERROR_BODY = 1 << 20  # error bodies are read up to 1 MiB
_MAX_EXCERPT = 200  # characters of a non-JSON error body shown in the message
_MAX_SSE_EVENT = 64 << 20  # bytes of data lines in one SSE event
# At most this much per read: a body is never read in one piece as large as the server
# claims (a 20-digit Content-Length), and a stream's read returns what has arrived.
_READ_SIZE = 64 << 10
# Seconds an idle connection may be reused. Common servers close idle connections after
# 5 s (uvicorn, Node.js, Apache) and some after 1-2 s; one that closes just as a request
# is sent can leave a POST that may or may not have run. Below 5 s with a margin; a
# server's `Keep-Alive: timeout=N` lowers it (`_idle_limit`).
_POOL_MAX_IDLE_AGE = 4.0
_POOL_MAX_IDLE_PER_ORIGIN = 64  # an AsyncGumloop may run ~100 calls at once: keep most of them
_MAX_INTERIM = 100  # interim (1xx) answers before the final one, about as many as http.client allows
_DONE_GRACE = 0.25  # seconds to wait for the end of the body after [DONE]
_MAX_SECONDS = 1e9  # a longer timeout overflows a socket's (and is no limit anyway)
_FLOW_MAX_POLL_FAILURES = 5

# Retry matrix: idempotent methods (and requests with an Idempotency-Key) on these
# statuses; POST/PATCH only where the server promises it did nothing (429, 503).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_STATUSES_IDEMPOTENT = frozenset({408, 429, 500, 502, 503, 504})
_RETRY_STATUSES_UNSAFE = frozenset({429, 503})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_REDACTED = "[REDACTED]"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token
# In a header value: a line break or NUL would inject or cut a header (http.client lets a
# folded line through), and http.client sends Latin-1 alone.
_BAD_HEADER_VALUE = re.compile(r"[\r\n\0]|[^\x00-\xff]")
# What platform.python_version() / platform.system() say, without importing platform
# (nor os.uname, which Windows lacks).
_SYSTEM = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows"}.get(sys.platform, sys.platform)
_USER_AGENT = "gumloop-lite/%s Python/%d.%d.%d %s" % ((__version__,) + sys.version_info[:3] + (_SYSTEM,))
_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")

# Indirections the tests replace with a fake clock.
_sleep: Callable[[float], None] = time.sleep
_monotonic: Callable[[], float] = time.monotonic


###############################################################################
# Errors ######################################################################


class GumloopError(Exception):
    """Base class of every error raised by this module; its message never holds a token."""

    def __init__(self, message: str = "") -> None:
        super().__init__(_scrub(str(message)))


class AuthenticationError(GumloopError):
    """No credential was available; raised before anything is sent."""


class APIStatusError(GumloopError):
    """The API answered with an error status (or a redirect that is not followed).

    Holds `status_code`, `message`, `body` (the decoded JSON), `headers`, `request_id`, `code` and `details`.
    """

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
        self.message: str = self.args[0]
        self.status_code = status_code
        self.body = body
        # The response's http.client.HTTPMessage: case-insensitive, as headers are.
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        self.request_id: Optional[str] = self.headers.get("x-request-id")
        self.error: Any = body.get("error") if isinstance(body, dict) else None
        error = self.error if isinstance(self.error, dict) else {}  # {"error": {"code", "type", ...}}
        self.code: Any = error.get("code", self.error if isinstance(self.error, str) else None)
        self.type: Any = error.get("type")
        self.param: Any = error.get("param")
        details = error.get("details") if isinstance(self.error, dict) else _flat_details(body)
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
    """The network failed: refused, reset, broken stream, TLS failure, proxy refusal.

    A POST sent whole is never sent again: its message then says it may have been processed.
    """


class APITimeoutError(APIConnectionError):
    """The call's time budget ran out (`timeout`, or `stream_timeout` for chat and streams)."""


class StreamError(GumloopError):
    """The stream reported an error; ``chunk`` is its chunk, ``partial`` (collect()) what came before."""

    def __init__(
        self,
        message: str,
        *,
        code: Any = None,
        chunk: Optional["ChatStreamChunk"] = None,
        partial: Optional["ChatResult"] = None,
    ) -> None:
        super().__init__(message)
        self.message: str = self.args[0]
        self.code = code
        self.chunk = chunk
        self.partial = partial


class _FlowError(GumloopError):
    def __init__(self, message: str, *, run_id: Optional[str] = None, state: Optional[str] = None, log: Any = None) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.state = state
        self.log = log

    def __str__(self) -> str:  # TimeoutError is an OSError, whose __str__ would format errno/strerror
        return str(self.args[0]) if self.args else ""


class FlowRunError(_FlowError, RuntimeError):
    """A flow run ended FAILED, TERMINATING or TERMINATED; `run_id`, `state` and `log` say which and why."""


class FlowTimeoutError(_FlowError, TimeoutError):
    """A flow run did not finish within run_flow's `timeout`; `run_id`, `state` and `log` say where it was."""


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


# Every token a client of this process has sent. One place scrubs them (and any 8 of
# their characters in a row) from every message: the constructor of GumloopError, the
# DEBUG records and the command line's output all go through `_scrub`. Held for the
# process's life, as the tokens are anyway; a process rarely uses more than a few.
_SECRETS: "set[str]" = set()
_MIN_SECRET = 6  # shorter "secrets" (test placeholders) would shred every message
_SECRET_RUN = 8  # no run this long of a token's characters is ever shown


def _remember_secret(token: str) -> None:
    if len(token) >= _MIN_SECRET:
        _SECRETS.add(token)


def _scrub(text: str) -> str:
    # The text with each token, and each run of 8 or more of a token's characters (a
    # server echoing part of it, an excerpt that cut it), replaced.
    for secret in tuple(_SECRETS):
        text = text.replace(secret, _REDACTED)
        runs = {secret[i : i + _SECRET_RUN] for i in range(len(secret) - _SECRET_RUN + 1)}
        found = [run for run in runs if run in text]
        if found:
            text = re.sub("(?:%s)+" % "|".join(map(re.escape, found)), _REDACTED, text)
    return text


def _loads(text: Union[str, bytes], what: str) -> Any:
    # The one JSON decoder: text that is not JSON, or nested deeper than json can go, is a
    # GumloopError naming what it was.
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
    raise GumloopError("%s is not valid JSON: %s" % (what, reason))


def _excerpt(raw: bytes) -> str:
    # A short, readable excerpt of a body (an HTML page loses its tags), for a message: a
    # token it cuts is still a run of 8 of its characters, which GumloopError scrubs.
    text = raw[: _MAX_EXCERPT * 20].decode("utf-8", "replace")
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text[:_MAX_EXCERPT] + ("..." if len(text) > _MAX_EXCERPT else "")


def _status_error(status: int, headers: Mapping[str, str], raw: bytes) -> APIStatusError:
    # Map an error answer to its class; the message follows SPEC's order of preference.
    fallback = "Gumloop API returned HTTP %d" % status
    text = _scrub(raw.decode("utf-8", "replace"))  # .body holds no token either
    try:
        body: Any = _loads(text, "error body") if text.strip() else None
    except GumloopError:  # an HTML page from a proxy, say: shown as a short excerpt
        body = text
        fallback += ": " + _excerpt(raw)
    message = fallback
    if isinstance(body, dict):
        error = body.get("error")
        nested = error.get("message") if isinstance(error, dict) else None
        flat = [text for text in (body.get("message"), body.get("error_description")) if isinstance(text, str) and text]
        if nested:
            message = str(nested)
        elif flat:
            message = flat[0]
        elif isinstance(error, str) and error:
            message = "%s: %s" % (fallback, error)
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    return cls(message, status_code=status, body=body, headers=headers)


###############################################################################
# Result objects ##############################################################
#
# Plain dataclasses, built from the JSON object the server sent by `_build`: each field
# present in the JSON goes through its converter (nested objects and lists of them), a
# missing or null field keeps its default (None, or [] for the response lists), and a
# list or object field of another JSON type raises _FieldTypeError (as the official SDK's
# pydantic models refuse it), naming the field. Keys the class does not
# declare are kept as attributes, and `to_dict()` returns the server's JSON exactly.

def _field(convert: Optional[_Convert] = None, *, many: bool = False) -> Any:
    # A result field: None by default ([] for response lists); `convert` builds nested objects.
    if many:
        return dataclasses.field(default_factory=list, metadata={"convert": convert})
    return dataclasses.field(default=None, metadata={"convert": convert})


class _WrongType(Exception):
    """Raised by a converter, caught by `_build`, which names the field."""


class _FieldTypeError(GumloopError, ValueError):
    """A declared list or object field of an answer holds another JSON type (pydantic's ValidationError is a ValueError too)."""


def _typed(value: Any, kind: type) -> bool:
    # Whether a declared list or object field holds its type: False for null (the field's
    # default); any other JSON type is refused.
    if value is None:
        return False
    if not isinstance(value, kind):
        raise _WrongType(kind, value)
    return True


def _object(cls: Type["_Model"]) -> _Convert:
    # An object field; missing or null gives None.
    return lambda value: _build(cls, value) if _typed(value, dict) else None


def _object_or_empty(cls: Type["_Model"]) -> _Convert:
    # An object field callers always dereference (message, delta, function, image_url).
    return lambda value: _build(cls, value if _typed(value, dict) else {})


def _list_of(cls: Type["_Model"], *, empty: Optional[list] = None) -> _Convert:  # type: ignore[type-arg]
    # A list of objects; items that are not objects are left out.

    def convert(value: Any) -> Any:
        if not _typed(value, list):
            return None if empty is None else []
        return [_build(cls, item) for item in value if isinstance(item, dict)]

    return convert


def _only(kind: type) -> _Convert:
    # A plain JSON value of one type (a dict or a list); null gives None.
    return lambda value: value if _typed(value, kind) else None


_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


# Each result class's field names and converters, made on its first build: reading them
# through dataclasses.fields() on every build took a third of a stream's time.
_CONVERTERS: Dict[type, Dict[str, Optional[_Convert]]] = {}


def _build(cls: Type[_M], raw: Dict[str, Any]) -> _M:
    converters = _CONVERTERS.get(cls)
    if converters is None:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        converters = _CONVERTERS[cls] = {field.name: field.metadata.get("convert") for field in fields}
    values = {}
    unknown = {}
    for key, value in raw.items():
        if key in converters:
            convert = converters[key]
            try:
                values[key] = convert(value) if convert else value
            except _WrongType as exc:
                kind, got = exc.args
                raise _FieldTypeError("%s.%s: expected a JSON %s, got %s" % (
                    cls.__name__, key, _JSON_TYPES[kind], _JSON_TYPES.get(type(got), type(got).__name__))) from None
        elif isinstance(key, str) and not hasattr(cls, key):  # unknown fields stay readable
            unknown[key] = value
    obj = cls(**values)
    obj.__dict__.update(unknown, _raw=raw)
    return obj


class _FieldsByName:
    # `Model.model_fields`, as pydantic has it: the class's fields by name (dataclasses.Field).
    def __get__(self, obj: Any, cls: type) -> Dict[str, "dataclasses.Field[Any]"]:
        return {field.name: field for field in dataclasses.fields(cls)}


# Base of the result dataclasses: to_dict() and pydantic-style helpers.
class _Model:
    model_fields = _FieldsByName()
    _request_id: Optional[str] = None  # the answer's x-request-id, for support (as OpenAI's results have it)

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object as the server sent it (a copy); for a result made in code, its set fields."""
        raw = self.__dict__.get("_raw")
        if raw is not None:
            return _copy_json(raw)  # type: ignore[no-any-return]
        values = ((field.name, getattr(self, field.name)) for field in dataclasses.fields(self))  # type: ignore[arg-type]
        return {name: _dump_value(value) for name, value in values if value is not None}

    # For code written against pydantic models: the same names, on the server's JSON.

    def model_dump(self, *, exclude_none: bool = False, **_options: Any) -> Dict[str, Any]:
        """to_dict(); `exclude_none=True` leaves out every None value, nested ones too."""
        return _copy_json(self.to_dict(), drop_none=True) if exclude_none else self.to_dict()

    def model_dump_json(self, *, indent: Optional[int] = None, exclude_none: bool = False, **_options: Any) -> str:
        """model_dump() as JSON text, compact (no spaces) unless `indent` is given, as pydantic writes it."""
        separators = (",", ": ") if indent is not None else (",", ":")
        return json.dumps(self.model_dump(exclude_none=exclude_none), indent=indent, separators=separators, ensure_ascii=False)

    @classmethod
    def model_validate(cls: Type[_M], obj: Any) -> _M:
        """Build the result from a JSON object (a dict), as the client does with the server's answer."""
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, dict):
            raise TypeError("%s.model_validate() takes a dict, got %s" % (cls.__name__, type(obj).__name__))
        return _build(cls, obj)

    @classmethod
    def model_validate_json(cls: Type[_M], text: Union[str, bytes]) -> _M:
        """model_validate() of JSON text; GumloopError when it is not a JSON object."""
        value = _parse_json_text(text.decode("utf-8", "replace") if isinstance(text, bytes) else text, cls.__name__)
        if not isinstance(value, dict):
            raise GumloopError("%s: expected a JSON object, got %s" % (cls.__name__, type(value).__name__))
        return _build(cls, value)

    def model_copy(self: _M, *, update: Optional[Mapping[str, Any]] = None, deep: bool = False) -> _M:
        """A copy, with `update`'s fields set on it (and in its to_dict())."""
        import copy

        new = copy.deepcopy(self) if deep else copy.copy(self)
        if update:
            new.__dict__.update(update)
            if "_raw" in new.__dict__:
                new.__dict__["_raw"] = dict(new.__dict__["_raw"], **{k: _dump_value(v) for k, v in update.items()})
        return new

    @property
    def model_extra(self) -> Dict[str, Any]:
        """The fields the server sent that the class does not declare (also readable as attributes)."""
        raw = self.__dict__.get("_raw") or {}
        return {k: v for k, v in raw.items() if k not in self.model_fields}

    @property
    def model_fields_set(self) -> "set[str]":
        """The declared fields the server sent (for a result made in code: those that are set)."""
        raw = self.__dict__.get("_raw")
        return {name for name in self.model_fields if (name in raw if raw is not None else getattr(self, name) is not None)}

    def __iter__(self) -> Iterator[Tuple[str, Any]]:
        """(name, value) of each field, then of each unknown one: `dict(obj)`, as pydantic has it."""
        return iter([(name, getattr(self, name)) for name in self.model_fields] + list(self.model_extra.items()))

    def __eq__(self, other: object) -> bool:
        # What a dataclass's generated __eq__ compares (the fields, in order), written once
        # here for every result class: generating 30 of them cost 1.5 ms at import.
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self))  # type: ignore[arg-type]

    def __repr__(self) -> str:
        # Compact: the fields that are set.
        values = ((field.name, getattr(self, field.name)) for field in dataclasses.fields(self))  # type: ignore[arg-type]
        return "%s(%s)" % (type(self).__name__, ", ".join("%s=%r" % (n, v) for n, v in values if v is not None and v != []))


def _dump_value(value: Any) -> Any:
    if isinstance(value, _Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump_value(v) for v in value]
    return value


def _copy_json(value: Any, drop_none: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v, drop_none) for k, v in value.items() if v is not None or not drop_none}
    if isinstance(value, list):
        return [_copy_json(v, drop_none) for v in value]
    return value


def _parse_json_text(text: Any, what: str) -> Any:
    if not isinstance(text, str):
        raise GumloopError("%s is not JSON text (got %s)" % (what, type(text).__name__))
    return _loads(text, what)


# -- chat ----------------------------------------------------------------------


@dataclasses.dataclass(repr=False, eq=False)
class ImageURL(_Model):
    """`image.image_url`: holds `url`, usually a data URL."""

    url: Optional[str] = _field()
    detail: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class ChatImage(_Model):
    """An image on `message.images` or `delta.images`, with helpers to read and save it."""

    type: Optional[str] = _field()
    image_url: ImageURL = dataclasses.field(default_factory=ImageURL, metadata={"convert": _object_or_empty(ImageURL)})
    index: Optional[int] = _field()

    @property
    def media_type(self) -> Optional[str]:
        """The MIME type of a data URL (`image/png`), else None."""
        url = self.image_url.url
        if not isinstance(url, str) or not url.startswith("data:"):
            return None
        return url[5:].split(",", 1)[0].split(";", 1)[0] or None  # data:image/png;base64,...

    def data(self) -> bytes:
        """The image bytes decoded from the data URL."""
        url = self.image_url.url
        if not isinstance(url, str) or not url.startswith("data:") or "," not in url:
            raise GumloopError("image is not a data URL; fetch it from image_url.url instead")
        head, payload = url[5:].split(",", 1)
        if head.endswith(";base64"):
            import base64

            try:
                return base64.b64decode(payload)
            except ValueError as exc:  # binascii.Error
                raise GumloopError("image data URL is not valid base64: %s" % exc) from None
        return unquote_to_bytes(payload)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> str:
        """Write the image bytes to `path`; returns the path."""
        data = self.data()
        with open(path, "wb") as fh:
            fh.write(data)
        return os.fspath(path)


@dataclasses.dataclass(repr=False, eq=False)
class ToolCallFunction(_Model):
    """The function a tool call names, with its JSON-encoded `arguments`."""

    name: Optional[str] = _field()
    arguments: Optional[str] = _field()

    def json(self) -> Any:
        """The arguments, parsed."""
        return _parse_json_text(self.arguments, "tool call arguments")


@dataclasses.dataclass(repr=False, eq=False)
class ToolCall(_Model):
    """One entry of `message.tool_calls` (or a fragment on `delta.tool_calls`)."""

    id: Optional[str] = _field()
    type: Optional[str] = _field()
    function: ToolCallFunction = dataclasses.field(
        default_factory=ToolCallFunction, metadata={"convert": _object_or_empty(ToolCallFunction)}
    )
    index: Optional[int] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class ChatMessage(_Model):
    """The assistant's message on a unary result."""

    role: Optional[str] = _field()
    content: Optional[str] = _field()
    tool_calls: Optional[List[ToolCall]] = _field(_list_of(ToolCall))
    images: Optional[List[ChatImage]] = _field(_list_of(ChatImage))
    refusal: Optional[str] = _field()
    reasoning: Optional[str] = _field()
    audio: Optional[Dict[str, Any]] = _field(_only(dict))
    name: Optional[str] = _field()
    reasoning_details: Optional[List[Any]] = _field(_only(list))

    def json(self) -> Any:
        """The content parsed as JSON (structured output)."""
        return _parse_json_text(self.content, "message content")


@dataclasses.dataclass(repr=False, eq=False)
class ChatUsage(_Model):
    """Token counts and the credit cost of a completion."""

    prompt_tokens: Optional[int] = _field()
    completion_tokens: Optional[int] = _field()
    total_tokens: Optional[int] = _field()
    cost: Optional[float] = _field()
    is_byok: Optional[bool] = _field()
    cost_details: Optional[Dict[str, Any]] = _field(_only(dict))
    prompt_tokens_details: Optional[Dict[str, Any]] = _field(_only(dict))
    completion_tokens_details: Optional[Dict[str, Any]] = _field(_only(dict))


@dataclasses.dataclass(repr=False, eq=False)
class ChatChoice(_Model):
    """One choice of a unary result."""

    index: Optional[int] = _field()
    message: ChatMessage = dataclasses.field(default_factory=ChatMessage, metadata={"convert": _object_or_empty(ChatMessage)})
    finish_reason: Optional[str] = _field()
    native_finish_reason: Optional[str] = _field()
    logprobs: Optional[Dict[str, Any]] = _field(_only(dict))


@dataclasses.dataclass(repr=False, eq=False)
class ChatResult(_Model):
    """A unary chat completion."""

    id: Optional[str] = _field()
    object: Optional[str] = _field()
    created: Optional[int] = _field()
    model: Optional[str] = _field()
    choices: List[ChatChoice] = _field(_list_of(ChatChoice, empty=[]), many=True)
    usage: Optional[ChatUsage] = _field(_object(ChatUsage))
    system_fingerprint: Optional[str] = _field()
    service_tier: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class ChatStreamDelta(_Model):
    """What one stream chunk adds to a choice."""

    role: Optional[str] = _field()
    content: Optional[str] = _field()
    tool_calls: Optional[List[ToolCall]] = _field(_list_of(ToolCall))
    images: Optional[List[ChatImage]] = _field(_list_of(ChatImage))
    gumloop_extensions: Optional[Dict[str, Any]] = _field(_only(dict))
    reasoning: Optional[str] = _field()
    refusal: Optional[str] = _field()
    audio: Optional[Dict[str, Any]] = _field(_only(dict))
    reasoning_details: Optional[List[Any]] = _field(_only(list))


@dataclasses.dataclass(repr=False, eq=False)
class ChatStreamChoice(_Model):
    """One choice of a stream chunk."""

    index: Optional[int] = _field()
    delta: ChatStreamDelta = dataclasses.field(
        default_factory=ChatStreamDelta, metadata={"convert": _object_or_empty(ChatStreamDelta)}
    )
    finish_reason: Optional[str] = _field()
    native_finish_reason: Optional[str] = _field()
    logprobs: Optional[Dict[str, Any]] = _field(_only(dict))


@dataclasses.dataclass(repr=False, eq=False)
class ChunkError(_Model):
    """An error reported inside a stream (`chunk.error`)."""

    code: Any = _field()
    message: Optional[str] = _field()
    metadata: Optional[Dict[str, Any]] = _field(_only(dict))


@dataclasses.dataclass(repr=False, eq=False)
class ChatStreamChunk(_Model):
    """One event of a streamed chat completion."""

    id: Optional[str] = _field()
    object: Optional[str] = _field()
    created: Optional[int] = _field()
    model: Optional[str] = _field()
    choices: List[ChatStreamChoice] = _field(_list_of(ChatStreamChoice, empty=[]), many=True)
    usage: Optional[ChatUsage] = _field(_object(ChatUsage))
    # Not `_object`: an error event may carry a string or a list, which the stream reports as StreamError.
    error: Optional[ChunkError] = _field(lambda value: _build(ChunkError, value) if isinstance(value, dict) else None)
    system_fingerprint: Optional[str] = _field()
    service_tier: Optional[str] = _field()


# -- MCP -----------------------------------------------------------------------


@dataclasses.dataclass
class McpToolCallRequest:
    """One call for `client.mcp.execute_many`."""

    server_id: str
    tool_name: str
    arguments: Optional[Mapping[str, Any]] = None
    ref: Optional[str] = None
    account: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        """The call as sent: `ref` and `account` only when set, `arguments` always an object."""
        call = {"server_id": self.server_id, "tool_name": self.tool_name, "arguments": self.arguments or {}}
        call.update((name, value) for name, value in (("ref", self.ref), ("account", self.account)) if value is not None)
        return call

    def model_dump(self, *, exclude_none: bool = False, **_options: Any) -> Dict[str, Any]:
        """to_dict(), as pydantic's model_dump (the official class is a pydantic model)."""
        return _copy_json(self.to_dict(), drop_none=True) if exclude_none else self.to_dict()

    def model_dump_json(self, *, indent: Optional[int] = None, exclude_none: bool = False, **_options: Any) -> str:
        """model_dump() as JSON text, as pydantic writes it."""
        return _Model.model_dump_json(self, indent=indent, exclude_none=exclude_none)  # type: ignore[arg-type]


def _decode_content_item(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    try:
        return _loads(item, "tool content")
    except GumloopError:  # plain text (or JSON too deep to decode) passes through
        return item


@dataclasses.dataclass(repr=False, eq=False)
class McpToolCallResult(_Model):
    """The outcome of one tool call; a tool failure is `ok == False` with `error` set."""

    ref: Optional[str] = _field()
    server_id: Optional[str] = _field()
    tool_name: Optional[str] = _field()
    status: Optional[str] = _field()
    content: Optional[List[Any]] = _field(_only(list))
    error: Any = _field()

    @property
    def ok(self) -> bool:
        """True when the tool call succeeded (`status == "success"`)."""
        return self.status == "success"

    @property
    def decoded_content(self) -> Optional[List[Any]]:
        """Each content string JSON-decoded; plain text and non-strings pass through."""
        return None if self.content is None else [_decode_content_item(item) for item in self.content]


@dataclasses.dataclass(repr=False, eq=False)
class McpExecuteResponse(_Model):
    """The answer of `mcp.execute` / `mcp.execute_many`: one result per call."""

    results: List[McpToolCallResult] = _field(_list_of(McpToolCallResult, empty=[]), many=True)

    def model_dump_decoded_content(self) -> Dict[str, Any]:
        """to_dict() with each result's `content` replaced by its decoded content."""
        payload, decoded = self.to_dict(), iter(self.results)  # the results are the raw items that are objects
        if isinstance(payload.get("results"), list):
            payload["results"] = [
                dict(item, content=next(decoded).decoded_content) if isinstance(item, dict) else item for item in payload["results"]
            ]
        return payload


@dataclasses.dataclass(repr=False, eq=False)
class McpServer(_Model):
    """An MCP server the account can use."""

    server_id: Optional[str] = _field()
    name: Optional[str] = _field()
    type: Optional[str] = _field()
    status: Optional[str] = _field()
    icon_url: Optional[str] = _field()
    description: Optional[str] = _field()
    gumloop_auth_url: Optional[str] = _field()
    mcp_url: Optional[str] = _field()
    tool_count: Optional[int] = _field()
    allowed_tool_call_ids: Optional[List[str]] = _field(_only(list))


@dataclasses.dataclass(repr=False, eq=False)
class McpServersResponse(_Model):
    """`mcp.list_servers()`."""

    servers: List[McpServer] = _field(_list_of(McpServer, empty=[]), many=True)


@dataclasses.dataclass(repr=False, eq=False)
class McpServerResponse(_Model):
    """`mcp.get_server()`."""

    server: Optional[McpServer] = _field(_object(McpServer))


@dataclasses.dataclass(repr=False, eq=False)
class McpServerAccount(_Model):
    """A connected account of an MCP server."""

    id: Optional[str] = _field()
    label: Optional[str] = _field()
    is_default: Optional[bool] = _field()
    in_use: Optional[bool] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpServerAccountsResponse(_Model):
    """`mcp.list_accounts()`."""

    server_id: Optional[str] = _field()
    accounts: List[McpServerAccount] = _field(_list_of(McpServerAccount, empty=[]), many=True)


@dataclasses.dataclass(repr=False, eq=False)
class McpTool(_Model):
    """A tool of an MCP server."""

    tool_call_id: Optional[str] = _field()
    server_id: Optional[str] = _field()
    server_type: Optional[str] = _field()
    name: Optional[str] = _field()
    description: Optional[str] = _field()
    input_schema: Optional[Dict[str, Any]] = _field(_only(dict))
    server: Optional[Dict[str, Any]] = _field(_only(dict))


@dataclasses.dataclass(repr=False, eq=False)
class McpToolsResponse(_Model):
    """`mcp.list_tools()`."""

    tools: List[McpTool] = _field(_list_of(McpTool, empty=[]), many=True)
    server_id: Optional[str] = _field()
    status: Optional[str] = _field()
    gumloop_auth_url: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpResource(_Model):
    """A resource an MCP server offers."""

    uri: Optional[str] = _field()
    name: Optional[str] = _field()
    title: Optional[str] = _field()
    description: Optional[str] = _field()
    mime_type: Optional[str] = _field()
    size: Optional[int] = _field()
    server_id: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpResourcesResponse(_Model):
    """`mcp.list_resources()`; pass `next_cursor` back as `cursor=` for the next page."""

    resources: List[McpResource] = _field(_list_of(McpResource, empty=[]), many=True)
    server_id: Optional[str] = _field()
    status: Optional[str] = _field()
    gumloop_auth_url: Optional[str] = _field()
    next_cursor: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpResourceContent(_Model):
    """One content item of a resource: `text`, or a base64 `blob`."""

    uri: Optional[str] = _field()
    mime_type: Optional[str] = _field()
    text: Optional[str] = _field()
    blob: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpResourceReadResponse(_Model):
    """`mcp.get_resource()`; `.text` joins the text contents."""

    server_id: Optional[str] = _field()
    uri: Optional[str] = _field()
    contents: List[McpResourceContent] = _field(_list_of(McpResourceContent, empty=[]), many=True)

    @property
    def text(self) -> Optional[str]:
        """The text contents joined by newlines; None when there is none."""
        parts = [c.text for c in self.contents if isinstance(c.text, str) and c.text]
        return "\n".join(parts) if parts else None


@dataclasses.dataclass(repr=False, eq=False)
class McpPromptArgument(_Model):
    """An argument a prompt template takes."""

    name: Optional[str] = _field()
    description: Optional[str] = _field()
    required: Optional[bool] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpPrompt(_Model):
    """A prompt template of an MCP server."""

    name: Optional[str] = _field()
    description: Optional[str] = _field()
    arguments: List[McpPromptArgument] = _field(_list_of(McpPromptArgument, empty=[]), many=True)
    server_id: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpPromptsResponse(_Model):
    """`mcp.list_prompts()`."""

    prompts: List[McpPrompt] = _field(_list_of(McpPrompt, empty=[]), many=True)
    server_id: Optional[str] = _field()
    status: Optional[str] = _field()
    gumloop_auth_url: Optional[str] = _field()


@dataclasses.dataclass(repr=False, eq=False)
class McpPromptMessage(_Model):
    """One message of a rendered prompt; `content` is the MCP content object."""

    role: Optional[str] = _field()
    content: Dict[str, Any] = dataclasses.field(default_factory=dict, metadata={"convert": lambda v: v if isinstance(v, dict) else {}})


@dataclasses.dataclass(repr=False, eq=False)
class McpPromptResponse(_Model):
    """`mcp.get_prompt()`."""

    server_id: Optional[str] = _field()
    name: Optional[str] = _field()
    description: Optional[str] = _field()
    messages: List[McpPromptMessage] = _field(_list_of(McpPromptMessage, empty=[]), many=True)


def _result_object(cls: Type[_M], answer: "_Answer", what: str) -> _M:
    body = _decode_body(answer.body)
    if not isinstance(body, dict):
        got = "an empty body" if body is None else "JSON %s" % type(body).__name__
        raise GumloopError("%s: expected a JSON object from the API, got %s" % (what, got))
    result = _build(cls, body)
    result._request_id = answer.headers.get("x-request-id")
    return result


###############################################################################
# Server-sent events ##########################################################
#
# The WHATWG HTML "Server-sent events" parsing rules
# (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
# Lines are split on bytes (CR, LF, CRLF) and decoded afterwards, so a character split
# across reads decodes whole and U+2028 inside JSON is not a line end. A line ending in
# CR is complete at once; an LF that starts the next input is its pair and is skipped.


@dataclasses.dataclass(repr=False)
class ServerSentEvent:
    """One dispatched event: `event` ("message" unless named), `data`, `id` (the last event id), `retry`."""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: Optional[int] = None

    def json(self) -> Any:
        """The data parsed as JSON."""
        return _parse_json_text(self.data, "event data")

    def __repr__(self) -> str:
        # Compact: only what differs from the defaults, and at most 80 characters of data.
        data = self.data if len(self.data) <= 80 else self.data[:77] + "..."
        shown = [("event", self.event != "message"), ("data", True), ("id", bool(self.id)), ("retry", self.retry is not None)]
        return "ServerSentEvent(%s)" % ", ".join(
            "%s=%r" % (name, data if name == "data" else getattr(self, name)) for name, show in shown if show
        )


_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Incremental SSE parser: `feed(bytes)` returns the events completed by those bytes."""

    def __init__(self, max_event_bytes: int = _MAX_SSE_EVENT) -> None:
        self._max = max_event_bytes
        self._reset()

    def _reset(self) -> None:
        self._pieces: List[bytes] = []  # an unterminated line, joined once its end arrives
        self._pending = 0  # bytes in self._pieces
        self._skip_lf = False  # the last input ended in CR: an LF starting the next is its pair
        self._first_line = True  # the BOM may only start the first line
        self._data: List[Union[bytes, memoryview]] = []
        self._size = 0  # bytes in self._data
        self._event = ""
        self._last_id = ""  # persists across events, as WHATWG's last event ID buffer
        self._retry: Optional[int] = None

    def feed(self, chunk: bytes) -> List[ServerSentEvent]:
        """Parse the next bytes; returns the events they complete (often none).

        Raises GumloopError for an event with more than `max_event_bytes` of data (64 MiB)."""
        if self._skip_lf and chunk[:1] == b"\n":
            self._skip_lf = False
            chunk = chunk[1:]
        if not chunk:
            return []  # an empty input changes nothing, even between a CR and its LF
        self._skip_lf = False
        clean = 0  # chunk[:clean] holds no CR or LF: the pieces of a long line seen so far
        if self._pieces:
            if b"\n" not in chunk and b"\r" not in chunk:
                self._pieces.append(chunk)  # still inside a long line (a big image)
                self._pending += len(chunk)
                self._check_pending()
                return []
            clean = self._pending
            # The joined line is kept until the next one replaces it: freed at once, glibc
            # gave its memory back to the system after every big event and faulted it in
            # again for the next (a 200 MB stream of 256 KiB images: ~82,000 page faults,
            # half the throughput).
            chunk = self._joined = b"".join(self._pieces + [chunk])
            self._pieces = []
        # Lines are found with bytes.find (memchr), not splitlines: a 256 KiB image line is
        # scanned at memory speed instead of byte by byte, and never copied whole.
        events: List[ServerSentEvent] = []
        has_cr = chunk.find(b"\r", clean) >= 0
        pos, size = 0, len(chunk)
        while pos < size:
            end = chunk.find(b"\n", max(pos, clean))
            after = end + 1
            if has_cr:
                cr = chunk.find(b"\r", max(pos, clean), size if end < 0 else end)
                if cr >= 0:  # a CR ends the line first: CRLF, or CR alone
                    end, after = cr, cr + 2 if chunk[cr + 1 : cr + 2] == b"\n" else cr + 1
                    self._skip_lf = cr + 1 == size  # its LF may start the next input
            if end < 0:
                self._pieces = [chunk[pos:]]
                self._pending = size - pos
                break
            event = self._line_done(chunk, pos, end)
            if event is not None:
                events.append(event)
            pos = after
        else:
            self._pending = 0
        self._check_pending()
        return events

    def close(self) -> List[ServerSentEvent]:
        """End of input: a pending unterminated event is discarded, as WHATWG says."""
        self._reset()
        return []

    def _check_pending(self) -> None:
        # Refuse an endless line while it arrives; "data:" and its line end may still go.
        if self._size + self._pending > self._max + 8:
            self._overflow()

    def _line_done(self, buf: bytes, start: int, end: int) -> Optional[ServerSentEvent]:
        # The line is buf[start:end]; it is never sliced whole, only its value is.
        if self._first_line:
            self._first_line = False
            if buf.startswith(_BOM, start):
                start += 3
        if start == end:
            return self._dispatch()
        colon = buf.find(b":", start, end)
        if colon == start:
            return None  # a comment
        if colon < 0:
            name, begin = buf[start:end], end
        else:
            name, begin = buf[start:colon], colon + 2 if buf[colon + 1 : colon + 2] == b" " else colon + 1
        if name == b"data":
            self._size += end - begin
            if self._size > self._max:
                self._overflow()
            # A long value is a view, decoded in place at dispatch: a megabyte image is not
            # copied once more. A short one is copied, so that it keeps no big buffer alive.
            self._data.append(memoryview(buf)[begin:end] if end - begin > _READ_SIZE else buf[begin:end])
            return None
        value = buf[begin:end]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"id":
            if b"\0" not in value:
                self._last_id = value.decode("utf-8", "replace")
        elif name == b"retry":
            if value.isdigit():  # bytes.isdigit() is ASCII digits only
                self._retry = int(value)
        return None

    def _dispatch(self) -> Optional[ServerSentEvent]:
        event = None
        if self._data:  # an event with no data line is not dispatched
            parts = self._data
            data = str(parts[0] if len(parts) == 1 else b"\n".join(parts), "utf-8", "replace")
            event = ServerSentEvent(self._event or "message", data, self._last_id, self._retry)
        self._data, self._size, self._event, self._retry = [], 0, "", None
        return event

    def _overflow(self) -> None:
        self._reset()
        raise GumloopError("server-sent event exceeds %d bytes of data" % self._max)


def iter_sse(byte_chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Parse an iterable of byte chunks into events."""
    decoder = SSEDecoder()
    for chunk in byte_chunks:
        yield from decoder.feed(chunk)
    # An unterminated event at the end is not dispatched, as WHATWG says.


###############################################################################
# Transport ###################################################################
#
# http.client does all HTTP/1.1 framing (status line, headers, chunked and length-framed
# bodies); this section adds what an API client needs on top: a per-client pool of
# keep-alive connections, retries, redirects, proxies and TLS. One place sends a request:
# `_Transport.send()` -> redirects -> retries -> one exchange (with the free replay of a
# stale pooled connection). The urllib.request opener is not used: it turns a redirected
# POST into a GET, forwards credentials to other origins and never keeps a connection.
#
# Time: a call's `timeout` is its whole budget (`_Request.deadline`). The connection
# carries the deadline of the call or stream using it, and every connect, write and
# recv on it is bounded by what is left (`_seconds_left`, `_BoundedReads`), so a peer
# that trickles bytes cannot stretch a call; a retry whose wait would end past the
# deadline is not taken.
#
# Ownership: a connection has one owner at a time. `_exchange` takes it from the pool
# (or opens it) and either reads the whole answer and hands the connection to
# `release()`, or, for a 2xx stream, hands it to the stream, which calls `release()`
# once when the body ends. `release()` is the only way back into the pool, and the pool
# checks the socket again when it hands it out. Another thread may only cancel one call
# through that call's `_Scope`, or close the whole client.

# A credential that never shows itself in repr(), str() or logs.
@dataclasses.dataclass(eq=False)
class _Secret:
    value: str
    source: str

    def __repr__(self) -> str:  # str() says the same
        return "<set: %s>" % self.source


@dataclasses.dataclass(repr=False)  # its headers hold the token
class _Request:
    method: str
    url: str
    headers: Dict[str, str]
    body: Optional[bytes]
    timeout: Optional[float]  # the whole call's budget in seconds; None: no limit
    started: float = 0.0  # when send() began: redirects and retries share one budget

    @property
    def deadline(self) -> Optional[float]:
        return None if self.timeout is None else self.started + self.timeout


def _seconds_left(deadline: Optional[float]) -> Optional[float]:
    # What is left of a budget, for the next socket operation; once spent, a timeout.
    if deadline is None:
        return None
    left = deadline - _monotonic()
    if left <= 0:
        import socket

        raise socket.timeout("the time budget is spent")
    return left


# An open http.client connection (TCP, TLS, proxy tunnel) and its bookkeeping.
class _Conn:
    def __init__(
        self,
        http_conn: "http.client.HTTPConnection",
        key: _OriginKey,
        proxy_name: Optional[str],
        proxy_headers: Optional[Dict[str, str]],
    ) -> None:
        self.http = http_conn
        self.sock: Any = None  # kept once connected: http.client forgets it when a response says "close"
        self.key = key
        self.proxy_name = proxy_name  # "host:port" of the proxy, for messages
        self.proxy_headers = proxy_headers  # plain HTTP through a proxy: absolute-form targets, these headers
        self.deadline: Optional[float] = None  # of the call or stream using it
        self.last_used = _monotonic()
        self.max_idle = _POOL_MAX_IDLE_AGE  # lowered by the server's Keep-Alive header
        self.pid = os.getpid()
        http_conn.response_class = self._response  # type: ignore[assignment]

    def _response(self, sock: Any, *args: Any, **kwargs: Any) -> "http.client.HTTPResponse":
        # http.client makes every response (the tunnel's too) with this: reads bounded by our deadline.
        return _http_response_class()(sock, self, *args, **kwargs)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.http.close()
        if self.sock is not None:
            self.sock.close()

    def abort(self) -> None:
        # End the connection under any thread blocked reading it; safe from another thread.
        import socket

        try:  # while connecting, http.client holds the TCP socket (TLS handshake, proxy CONNECT)
            (self.sock or self.http.sock).shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):  # closed already, or not yet connected
            pass


class _BoundedReads(io.RawIOBase):
    # The raw file under every response: before each recv the socket's timeout is set to
    # what is left of the connection's deadline (one read1() of a chunked body may make
    # several recv calls, for the chunk-size line).
    def __init__(self, sock: Any, conn: _Conn, raw: Any) -> None:
        super().__init__()
        self.sock = sock
        self.conn = conn
        self.raw = raw

    def readable(self) -> bool:
        return True

    drained = False  # set by _Reader.close(): no more reads

    def readinto(self, buffer: Any) -> Optional[int]:
        if self.drained:
            return None  # "no data": _Reader.close() looks only at what is buffered
        self.sock.settimeout(_seconds_left(self.conn.deadline))
        return self.raw.readinto(buffer)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Reader(io.BufferedReader):
    # A response's buffered reader, which notes when it is closed whether it held bytes past
    # the response: bytes no request asked for, so the connection must serve no other.
    # (Since 3.14 its buffer is 128 KiB, not 8: such bytes land here rather than in the
    # socket, where the pool's check would see them.)
    leftover = False

    def close(self) -> None:
        if not self.closed:
            self.raw.drained = True  # type: ignore[attr-defined]  # a _BoundedReads: peek() then reads nothing more
            self.leftover = bool(self.peek(1))
        super().close()


# A response whose headers are in. `body` is read unless this is a 2xx stream, which
# then owns `conn` and `response` until it releases them.
class _Answer:
    def __init__(self, conn: _Conn, response: "http.client.HTTPResponse", *, early: bool = False) -> None:
        self.conn = conn
        self.response = response
        self.status: int = response.status
        self.headers: Mapping[str, str] = response.msg  # type: ignore[assignment]  # case-insensitive
        # Body bytes still to come; None: chunked, or until the connection closes.
        self.remaining: Optional[int] = None if response.chunked else response.length
        self.until_close = self.remaining is None and not response.chunked  # no framing proves the end
        # Both framings at once: which one the server meant is unknown, so the connection
        # serves no other request (the body is read as chunked, as RFC 9112 says). An
        # answer read after a failed write leaves http.client's connection unusable.
        self.reusable = not early and not (response.chunked and response.getheader("content-length") is not None)
        self.body = b""


class _Failure(Exception):
    # One exchange failed on the network: before the request was written whole
    # (`sent=False`: the server cannot have acted on it), or after.
    def __init__(self, cause: BaseException, *, sent: bool, stale: bool = False, proxy: Optional[str] = None) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause
        self.sent = sent
        self.stale = stale  # a reused connection closed before any response byte
        self.proxy = proxy  # "host:port" of the proxy the failure happened at


class _ClientClosed(GumloopError, RuntimeError):
    """The client was closed: close() and aclose() are final."""


def _connection_error(cause: BaseException, req: _Request, proxy: Optional[str] = None, note: str = "") -> APIConnectionError:
    # The one place a network or framing failure (socket, ssl, http.client) becomes our error.
    import http.client
    import socket
    import ssl

    target = "proxy " + proxy if proxy else urlsplit(req.url).netloc.rpartition("@")[2]
    if isinstance(cause, socket.timeout):
        took = _monotonic() - req.started
        return APITimeoutError("Request to %s timed out after %.1f s (timeout=%s)%s" % (target, took, req.timeout, note))
    if isinstance(cause, ssl.SSLCertVerificationError):
        return APIConnectionError(
            "TLS certificate verification failed for %s: %s. Point SSL_CERT_FILE at your CA bundle "
            "or pass ssl_context= to the client." % (target, str(cause.verify_message or cause).rstrip("."))
        )
    detail = str(cause) or type(cause).__name__
    if isinstance(cause, http.client.HTTPException):  # RemoteDisconnected, IncompleteRead, LineTooLong...
        detail = "%s: %s" % (type(cause).__name__, detail)
    return APIConnectionError("Connection error with %s: %s%s" % (target, detail, note))


# Idle keep-alive connections per origin; shared by threads, forgotten after fork.
class _Pool:
    def __init__(self) -> None:
        self._lock = _new_lock()
        self._idle: Dict[_OriginKey, List[_Conn]] = {}
        self._pid = os.getpid()
        self.closed = False  # final: nothing is pooled after close()

    def take(self, key: _OriginKey) -> Optional[_Conn]:
        with self._lock:
            if self._pid != os.getpid():
                # A forked child must not talk on its parent's sockets: forget them
                # without closing (a TLS shutdown would disturb the parent's session).
                self._idle = {}
                self._pid = os.getpid()
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if _monotonic() - conn.last_used < conn.max_idle and not _readable(conn.sock):
                    return conn
                conn.close()
        return None

    def give(self, conn: _Conn) -> None:
        conn.last_used = _monotonic()
        with self._lock:
            if conn.pid == self._pid == os.getpid() and not self.closed:
                idle = self._idle.setdefault(conn.key, [])
                if len(idle) < _POOL_MAX_IDLE_PER_ORIGIN:
                    idle.append(conn)
                    return
        conn.close()

    def drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conn in [conn for conns in idle.values() for conn in conns]:
            conn.close()

    def close(self) -> None:
        self.closed = True
        self.drop_idle()


# One call's claim on the connection it is using, for a cancel from another thread
# (AsyncGumloop cancels the call a task awaits in a worker thread). The cancel shuts the
# connection down under the same lock that the call takes to let it go, so it can never
# reach a connection that already serves another call.
class _Scope:
    def __init__(self) -> None:
        self.lock = _new_lock()
        self.conn: Optional[_Conn] = None
        self.cancelled = False

    def hold(self, conn: Optional[_Conn]) -> None:
        with self.lock:
            if self.cancelled:
                if conn is not None:
                    conn.close()
                raise APIConnectionError("the call was cancelled")
            self.conn = conn

    def drop(self, conn: _Conn) -> bool:
        # `conn` no longer serves this call; True when the call was cancelled (it may be shut down).
        with self.lock:
            if self.conn is conn:
                self.conn = None
            return self.cancelled

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.conn is not None:
                self.conn.abort()


# The _Scope of the call each thread runs (set by AsyncGumloop's workers; plain calls have none).
_calls = _ThreadLocal()


def _scope() -> Optional[_Scope]:
    return getattr(_calls, "scope", None)


def _readable(sock: Any) -> bool:
    # An idle socket with something to read was closed by the server, or holds bytes no
    # request asked for: either way it must not carry another request.
    import select

    if getattr(sock, "pending", None) and sock.pending():
        return True  # TLS: bytes decrypted already, which poll() cannot see
    try:
        if not hasattr(select, "poll"):  # Windows, where select() has no 1024-descriptor limit
            return bool(select.select([sock], [], [], 0)[0])
        poller = select.poll()  # not select() where poll() exists: it cannot watch descriptors past 1023
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _idle_limit(response: "http.client.HTTPResponse") -> float:
    # How long the connection may sit idle and still be reused: our default, or less when
    # the server says in `Keep-Alive: timeout=N` that it closes sooner (less a margin, as
    # its clock started before ours).
    hint = re.search(r"timeout\s*=\s*(\d{1,6})\b", response.getheader("keep-alive") or "", re.I)
    return _POOL_MAX_IDLE_AGE if hint is None else min(_POOL_MAX_IDLE_AGE, max(int(hint.group(1)) - 1.0, int(hint.group(1)) / 2))


def _proxy_for(url_parts: Any, proxy: Optional[str]) -> Optional[str]:
    # The proxy URL for a request, or None: `proxy=""` none, a URL that, None the environment.
    if proxy is not None:
        return proxy or None
    if not any(name in os.environ for name in _PROXY_VARIABLES):
        return None  # keep urllib.request unimported
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    found = proxies.get(url_parts.scheme) or proxies.get("all")  # ALL_PROXY: either scheme
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    return None if not found or bypass(url_parts.netloc.rpartition("@")[2], proxies) else found


def _check_proxies(proxy: Optional[str]) -> None:
    # At construction: `proxy=`, or each proxy variable that is set, must have a host and a
    # valid port; the message names where the URL came from, never its credentials.
    sources = [("proxy", proxy)] if proxy is not None else [(name, os.environ.get(name)) for name in _PROXY_VARIABLES]
    for source, url in sources:
        if not url:
            continue
        parts = urlsplit(url if "://" in url else "http://" + url)
        try:
            valid = bool(parts.hostname) and parts.port != 0
        except ValueError:  # a port that is not a number, or past 65535
            valid = False
        if not valid:
            raise ValueError("%s is not a proxy URL with a host and a valid port: %s" % (source, parts.netloc.rpartition("@")[2]))


class _HeadReader:
    # The file a response head is read through: http.client reads the status line and the
    # headers with readline() alone, and takes the end of the connection inside them for
    # the end of the head (then reads the body "until close": a cut answer would pass as a
    # whole one). A line without its LF is refused here; a connection closed before the
    # first byte still reaches http.client as RemoteDisconnected. An answer that does not
    # begin "HTTP/" (an HTTP/2-only server's frames) is no HTTP/1.1 at all.
    # It also counts the heads (the first line, and each after a blank line): http.client
    # skips `100 Continue` answers by itself, with no limit before 3.13.15.
    def __init__(self, fp: Any) -> None:
        self.fp = fp
        self.lines = 0
        self.heads = 0
        self.at_head = True

    def readline(self, limit: int = -1) -> bytes:
        import http.client

        line: bytes = self.fp.readline(limit)
        self.lines += 1
        if self.at_head:
            self.heads += 1
            if self.heads == 1 and line[:5] and not b"HTTP/".startswith(line[:5]):
                raise http.client.UnknownProtocol("the answer does not begin with HTTP/")
            if self.heads > _MAX_INTERIM + 1:
                raise http.client.UnknownProtocol("more than %d interim answers" % _MAX_INTERIM)
        self.at_head = line in (b"\r\n", b"\n")
        if not line.endswith(b"\n") and (line or self.lines > 1) and len(line) != limit:
            raise ConnectionError("connection closed inside the response head")
        return line

    def close(self) -> None:  # http.client closes the response on a bad status line
        self.fp.close()


_response_class: Any = None


def _http_response_class() -> Any:
    # http.client's response, held to the rules of RFC 9110/9112 where http.client is
    # lenient; made on the first connection, when http.client is imported. Tested on
    # every CPython in CI: it relies on begin() reading the head through self.fp.readline.
    global _response_class
    if _response_class is not None:
        return _response_class
    import http.client
    from email.errors import FirstHeaderLineIsContinuationDefect, MissingHeaderBodySeparatorDefect

    class _Response(http.client.HTTPResponse):
        def __init__(self, sock: Any, conn: _Conn, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            self.fp = self.reader = _Reader(_BoundedReads(sock, conn, self.fp.detach()))

        def begin(self, *args: Any, **kwargs: Any) -> None:  # 3.15 passes _max_headers
            fp, self.fp = self.fp, _HeadReader(self.fp)  # type: ignore[assignment]
            try:
                super().begin(*args, **kwargs)
                while 101 < self.status < 200:  # interim answers (102, 103): http.client skips only 100
                    self.headers = None  # type: ignore[assignment]  # begin() reads a head while none is set
                    super().begin(*args, **kwargs)
            finally:
                if self.fp is not None:  # else http.client closed the response
                    self.fp = fp
            if self.status == 101:
                raise http.client.UnknownProtocol("101 Switching Protocols")
            # A head line that is not a header: the parser took it and all after it for the body.
            if any(isinstance(d, (MissingHeaderBodySeparatorDefect, FirstHeaderLineIsContinuationDefect)) for d in self.msg.defects):
                raise http.client.HTTPException("malformed response headers")
            coding = self.getheader("transfer-encoding")
            if coding is not None and coding.strip().lower() != "chunked":
                raise http.client.HTTPException("unsupported Transfer-Encoding: %s" % coding[:100])
            if coding is not None and not self.chunked:  # "chunked " : http.client compares it untrimmed
                self.chunked, self.chunk_left, self.length = True, None, None
            if self.status in (204, 304):  # no body, whatever the head says (RFC 9112 section 6.3)
                self.chunked = False
                # A transfer coding there leaves the bytes that follow in doubt: this
                # connection serves no other request.
                self.will_close = self.will_close or coding is not None
            # http.client reads a Content-Length it cannot parse (negative, not a number, two
            # different values, more digits than int() takes) as "until the connection
            # closes"; RFC 9112 section 6.3 says such a response is unrecoverable: refused.
            lengths = {value.strip() for value in self.msg.get_all("content-length") or []}
            valid = len(lengths) == 1 and all(v.isascii() and v.isdigit() for v in lengths) and self.length is not None
            if coding is None and lengths and not valid:
                raise http.client.HTTPException("bad Content-Length: %s" % ", ".join(lengths)[:100])

    _response_class = _Response
    return _response_class


def _read_body(response: "http.client.HTTPResponse", length: Optional[int], limit: Optional[int]) -> bytes:
    # The body, in bounded reads (never one buffer as large as a header claims); at most
    # a little over `limit` bytes when a limit is given.
    parts: List[bytes] = []
    total = 0
    while limit is None or total <= limit:
        piece = response.read(_READ_SIZE)
        if not piece:
            if length is not None and total < length:
                raise ConnectionError("connection closed %d bytes before the end of the response" % (length - total))
            break
        parts.append(piece)
        total += len(piece)
    return b"".join(parts)[:limit]


def _request_target(parts: Any) -> str:
    target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    if not (target.isascii() and target.isprintable()) or " " in target:
        target = quote(target, safe="/%:@!$&'()*+,;=-._~?")
    return target


# Sends requests on pooled connections: redirects, retries, stale replay, proxies, TLS.
class _Transport:
    def __init__(
        self,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        ssl_context: Optional["ssl.SSLContext"] = None,
        proxy: Optional[str] = None,
    ) -> None:
        import weakref

        self.max_retries = max_retries
        self.proxy = proxy
        self._ssl_context = ssl_context
        self._lock = _new_lock()
        self._pool = _Pool()
        # (scheme, netloc) -> pool key, proxy included: the environment is read once per
        # client and host (as httpx does), not on every request.
        self._routes: Dict[Tuple[str, str], _OriginKey] = {}
        # Routes whose peer closed a reused connection before answering (a proxy such as
        # tinyproxy closes after every answer without saying so): requests that cannot be
        # replayed go on fresh connections there.
        self._fresh_only: "set[_OriginKey]" = set()
        # What close() must end: connections serving a call, and open streams.
        self._busy: "set[_Conn]" = set()
        self._streams: "weakref.WeakSet[Any]" = weakref.WeakSet()

    def close(self) -> None:
        # Final: later calls raise; a call in flight has its connection shut down, and an
        # open stream is closed, so that no connection goes back to a pool.
        self._pool.close()
        with self._lock:
            busy, streams = list(self._busy), list(self._streams)
        for conn in busy:
            conn.abort()
        for stream in streams:
            stream.close()

    def drop_idle(self) -> None:
        self._pool.drop_idle()

    def check_open(self) -> None:
        if self._pool.closed:
            raise _ClientClosed("the client is closed")

    def adopt(self, stream: Any, conn: _Conn) -> None:
        # A stream owns `conn` from now on, until it releases or closes it.
        with self._lock:
            self._busy.discard(conn)
            self._streams.add(stream)
        if self._pool.closed:
            stream.close()

    # -- one request, all policies -------------------------------------------

    def send(self, req: _Request, *, stream: bool = False) -> _Answer:
        # The 2xx answer, after redirects and retries; anything else raises its APIStatusError.
        req.started = _monotonic()
        original = req.url
        for _ in range(_MAX_REDIRECTS + 1):
            answer = self._send_with_retries(req, stream)
            location = answer.headers.get("location")
            if answer.status not in _REDIRECT_STATUSES or not location:
                break
            if answer.status not in (307, 308) and req.method not in ("GET", "HEAD"):
                break  # never silently turn a POST into a GET
            req = self._redirected(req, original, location)
        if answer.status >= 300:  # also the sixth redirect
            raise _status_error(answer.status, answer.headers, answer.body)
        return answer

    def _redirected(self, req: _Request, original: str, location: str) -> _Request:
        try:
            url = urljoin(req.url, location)
            _port(urlsplit(url))
        except ValueError:  # a bad port or IPv6 literal
            raise APIConnectionError("the API redirected to an invalid URL: %r" % location[:200]) from None
        headers = req.headers
        if _origin(url) != _origin(original):
            # Credentials go only to the origin they were given for.
            headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "x-auth-key", "cookie")}
        _debug("redirect %s -> %s", req.method, _log_path(url))
        return dataclasses.replace(req, url=url, headers=headers)

    def _send_with_retries(self, req: _Request, stream: bool) -> _Answer:
        attempt = 0
        while True:
            started = _monotonic()
            try:
                answer = self._exchange(req, stream)
            except _Failure as failure:
                delay = _backoff(attempt) if _may_retry_failure(req, failure) else None
                if self._wait_to_retry(req, attempt, delay, type(failure.cause).__name__):
                    attempt += 1
                    continue
                note = "; the request was sent and may have been processed" if failure.sent and not _replayable(req) else ""
                raise _connection_error(failure.cause, req, failure.proxy, note) from None
            _debug(
                "%s %s -> %d in %.0f ms (attempt %d, request id %s)", req.method, _log_path(req.url), answer.status,
                (_monotonic() - started) * 1000, attempt + 1, answer.headers.get("x-request-id"),
            )
            if _may_retry_status(req, answer.status):
                wait = _retry_after(answer.headers.get("retry-after"), time.time())
                delay = _backoff(attempt) if wait is None else wait if wait <= _MAX_RETRY_AFTER else None
                if self._wait_to_retry(req, attempt, delay, "HTTP %d" % answer.status):
                    attempt += 1
                    continue
            return answer

    def _wait_to_retry(self, req: _Request, attempt: int, delay: Optional[float], why: str) -> bool:
        # Wait for the next attempt when one may be made: within max_retries, on a client
        # not closed, and only if the wait ends inside the call's budget -- else the last
        # error is raised at once.
        deadline = req.deadline
        late = deadline is not None and _monotonic() + (delay or 0) >= deadline
        if delay is None or attempt >= self.max_retries or self._pool.closed or late:
            return False
        _debug("retrying %s %s after %s (attempt %d, wait %.2fs)", req.method, _log_path(req.url), why, attempt + 1, delay)
        _sleep(delay)
        return True

    # -- one exchange on one connection ---------------------------------------

    def _exchange(self, req: _Request, stream: bool) -> _Answer:
        self.check_open()
        scope = _scope()
        if scope is not None:
            scope.hold(None)  # a cancelled call makes no further attempt
        parts = urlsplit(req.url)
        key = self._route(parts, req.url)
        conn = None if key in self._fresh_only and not _replayable(req) else self._pool.take(key)
        if conn is not None:
            self._claim(conn, scope)
            try:
                return self._roundtrip(conn, req, parts, stream, reused=True)
            except _Failure as failure:
                # A pooled connection that fails before any response byte was most likely
                # closed by the server while idle: one replay on a fresh socket, not counted
                # as a retry -- but only where a second copy can do no harm (the rule of
                # _may_retry_failure): once a POST was written whole, "closed while idle"
                # and "acted on it, then closed" cannot be told apart.
                if not failure.stale:
                    raise
                if not _replayable(req):
                    self._fresh_only.add(key)
                if not _may_retry_failure(req, failure):
                    raise
                _debug("stale pooled connection; replaying %s %s", req.method, _log_path(req.url))
        return self._roundtrip(self._connect(key, req, scope), req, parts, stream, reused=False)

    def _claim(self, conn: _Conn, scope: Optional[_Scope]) -> None:
        # `conn` serves this call now: a cancel of the call, or close(), can reach it.
        if scope is not None:
            scope.hold(conn)
        with self._lock:
            self._busy.add(conn)
        if self._pool.closed:
            self.release(conn, None, reusable=False)
            self.check_open()

    def _route(self, parts: Any, url: str) -> _OriginKey:
        key = self._routes.get((parts.scheme, parts.netloc))
        if key is None:
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise GumloopError("unsupported URL %r: only http and https" % _log_path(url))
            proxy = _proxy_for(parts, self.proxy)
            proxy_scheme = proxy.partition("://")[0].lower() if proxy and "://" in proxy else "http"
            if proxy_scheme != "http":
                # An https:// proxy needs TLS to the proxy itself, which this client does not
                # speak: its credentials are never sent to it in cleartext instead.
                raise GumloopError("unsupported proxy URL scheme %r: use an http:// proxy (HTTPS to the API is still tunnelled)" % proxy_scheme)
            key = (parts.scheme, parts.hostname, _port(parts), proxy)
            self._routes[parts.scheme, parts.netloc] = key
        return key

    def _connect(self, key: _OriginKey, req: _Request, scope: Optional[_Scope]) -> _Conn:
        import http.client

        scheme, host, port, proxy = key
        connect_to, proxy_name, proxy_headers = (host, port), None, {}
        if proxy:
            proxy_parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            connect_to = (proxy_parts.hostname or "", proxy_parts.port or 8080)
            proxy_name = "%s:%d" % connect_to
            if proxy_parts.username is not None:
                import base64

                userpass = "%s:%s" % (unquote(proxy_parts.username), unquote(proxy_parts.password or ""))
                proxy_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(userpass.encode()).decode()
        tunnel = scheme == "https" and proxy is not None
        http_conn: http.client.HTTPConnection
        if scheme == "https" and not tunnel:
            http_conn = http.client.HTTPSConnection(host, port, context=self._ssl())
        else:
            http_conn = http.client.HTTPConnection(*connect_to)
        if tunnel:
            # An IPv6 literal keeps its brackets: every http.client writes "CONNECT [::1]:443" then.
            http_conn.set_tunnel("[%s]" % host if ":" in host else host, port, headers=proxy_headers)
        conn = _Conn(http_conn, key, proxy_name, proxy_headers if proxy and not tunnel else None)
        conn.deadline = req.deadline
        self._claim(conn, scope)  # close() and a cancel reach it while it connects
        connected = False  # until then, a failure through a proxy is the proxy's
        try:
            http_conn.timeout = _seconds_left(req.deadline)
            # TCP, and the proxy's CONNECT; not HTTPSConnection's own connect, whose TLS
            # handshake holds the only socket of the connection where no one else can reach it.
            http.client.HTTPConnection.connect(http_conn)
            connected = True
            if scheme == "https":
                conn.sock = http_conn.sock.dup()  # through which close() and a cancel end the handshake
                http_conn.sock.settimeout(_seconds_left(req.deadline))
                # Verified against the host without brackets: before 3.13, http.client names
                # an IPv6 literal "[::1]" to TLS, which then fails.
                http_conn.sock = self._ssl().wrap_socket(http_conn.sock, server_hostname=host)
                conn.sock.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a host IDNA refuses
            self.release(conn, None, reusable=False)
            # http.client reports a refused CONNECT as OSError("Tunnel connection failed:
            # <status> <reason>"): the proxy answered, not the API, and trying again will
            # not change its mind.
            if proxy_name and str(exc).startswith("Tunnel connection failed"):
                status = str(exc).partition(":")[2].strip()
                raise APIConnectionError("proxy %s refused the tunnel to %s:%d: %s" % (proxy_name, host, port, status)) from None
            raise _Failure(exc, sent=False, proxy=None if connected else proxy_name) from None
        conn.sock = http_conn.sock
        return conn

    def _ssl(self) -> "ssl.SSLContext":
        with self._lock:
            if self._ssl_context is None:
                import ssl

                # create_default_context verifies certificates and host names and honours
                # SSL_CERT_FILE / SSL_CERT_DIR through OpenSSL's default paths.
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    def _roundtrip(self, conn: _Conn, req: _Request, parts: Any, stream: bool, *, reused: bool) -> _Answer:
        # Write the request, read the head, then take the answer in.
        conn.deadline = req.deadline
        early = False
        try:
            self._write(conn, req, parts, reused)
        except _Failure as failure:
            response = self._early_answer(conn, req, failure)
            if response is None:
                self.release(conn, None, reusable=False)
                raise
            early = True
        else:
            response = self._read_head(conn, req, reused)
        return self._take_in(_Answer(conn, response, early=early), req, stream)

    def _write(self, conn: _Conn, req: _Request, parts: Any, reused: bool) -> None:
        import http.client
        import socket

        target = _request_target(parts)
        headers = req.headers
        if conn.proxy_headers is not None:  # the proxy URL's credentials, not a call's
            target = "%s://%s%s" % (parts.scheme, parts.netloc.rpartition("@")[2], target)
            headers = _merge_headers(headers, conn.proxy_headers)
        elif conn.proxy_name is not None:  # tunnelled: http.client before 3.13 writes "Host: [[::1]]"
            headers = _merge_headers({"Host": parts.netloc.rpartition("@")[2]}, headers)
        try:
            conn.sock.settimeout(_seconds_left(req.deadline))
            conn.http.request(req.method, target, body=req.body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            # Not written whole: the server cannot have acted on it.
            stale = reused and not isinstance(exc, socket.timeout)
            raise _Failure(exc, sent=False, stale=stale, proxy=_plain_proxy(conn)) from None

    def _early_answer(self, conn: _Conn, req: _Request, failure: _Failure) -> "Optional[http.client.HTTPResponse]":
        # Writing failed, but the server may have answered before it stopped reading (413
        # for a large upload, 401): that answer is the call's. None when there is none.
        import http.client
        import socket

        if isinstance(failure.cause, socket.timeout):
            return None
        response = conn.http.response_class(conn.sock, method=req.method)
        try:
            response.begin()
        except (OSError, ValueError, http.client.HTTPException):
            return None
        return response

    def _read_head(self, conn: _Conn, req: _Request, reused: bool) -> "http.client.HTTPResponse":
        import http.client

        try:
            return conn.http.getresponse()
        except http.client.UnknownProtocol as exc:  # not understood: nothing was acted on
            self.release(conn, None, reusable=False)
            raise APIConnectionError("%s does not speak HTTP/1.1 (%s)" % (_log_path(req.url).partition("/")[0], exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            self.release(conn, None, reusable=False)
            # RemoteDisconnected (a ConnectionResetError): not one byte of an answer came.
            stale = reused and isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError))
            raise _Failure(exc, sent=True, stale=stale, proxy=_plain_proxy(conn)) from None

    def _take_in(self, answer: _Answer, req: _Request, stream: bool) -> _Answer:
        # Check the answer and read its body; a 2xx event stream is handed over unread.
        import http.client

        conn, response = answer.conn, answer.response
        if answer.status == 407 and conn.proxy_headers is not None:
            self.release(conn, response, reusable=False)
            raise APIConnectionError("proxy %s refused the request: 407 %s" % (conn.proxy_name, response.reason))
        coding = (answer.headers.get("content-encoding") or "identity").strip()
        if answer.status < 300 and coding.lower() != "identity":
            self.release(conn, response, reusable=False)
            raise GumloopError("the API answered in Content-Encoding %r, which this client does not decode" % coding[:50])
        content_type = answer.headers.get("content-type") or ""
        if stream and answer.status < 300 and content_type.partition(";")[0].strip().lower() == "text/event-stream":
            return answer  # the stream owns the connection now
        try:
            if stream and answer.status < 300:  # an excerpt of what has arrived: no wait for more of it
                answer.body = response.read1(_MAX_EXCERPT * 20)
            else:
                answer.body = _read_body(response, answer.remaining, None if answer.status < 300 else _MAX_ERROR_BODY)
        except (OSError, ValueError, http.client.HTTPException) as exc:  # ValueError: a negative chunk size
            self.release(conn, response, reusable=False)
            raise _Failure(exc, sent=True, proxy=_plain_proxy(conn)) from None
        if stream and answer.status < 300:
            # A captive portal or a wrong base URL answers 2xx with a page: not a stream.
            self.release(conn, response, reusable=False)
            raise GumloopError(
                "expected an event stream (text/event-stream), got %s: %s" % (content_type or "no Content-Type", _excerpt(answer.body))
            )
        self.release(conn, response, reusable=answer.reusable and response.isclosed())
        return answer

    def release(self, conn: _Conn, response: "Optional[http.client.HTTPResponse]", *, reusable: bool) -> None:
        # Where a connection goes after its response: back to the pool when the response
        # was read to its end and the server keeps the connection open; else closed.
        # Called once per connection and response. (The pool checks it again when it
        # hands it out: the server may have closed it, or sent bytes nobody asked for.)
        if response is not None:
            response.close()
        scope = _scope()
        if scope is not None and scope.drop(conn):
            reusable = False  # cancelled: it may have been shut down
        with self._lock:
            self._busy.discard(conn)
        # Bytes past the response, buffered or arrived already (in the socket or in TLS),
        # keep it out of the pool: a later one might pass the pool's check.
        if reusable and conn.http.sock is not None and not response.reader.leftover and not _readable(conn.sock):  # type: ignore[union-attr]
            conn.max_idle = _idle_limit(response)  # type: ignore[arg-type]  # reusable: a response was read
            self._pool.give(conn)  # which closes it when the client is closed
        else:
            conn.close()


def _plain_proxy(conn: _Conn) -> Optional[str]:
    # The proxy a failure happened at, for plain HTTP through one (a tunnel reaches the API).
    return conn.proxy_name if conn.proxy_headers is not None else None


def _port(parts: Any) -> int:
    port = parts.port
    return int(port) if port else (443 if parts.scheme == "https" else 80)


def _origin(url: str) -> Tuple[str, Optional[str], int]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, _port(parts)


def _log_path(url: str) -> str:
    # The host and path of a URL, without credentials or query, for logs and messages.
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] + parts.path


###############################################################################
# Retry policy ################################################################


def _replayable(req: _Request) -> bool:
    # A second copy does no harm: an idempotent method, or a request the server can
    # recognise by its Idempotency-Key (every attempt sends the same headers).
    return req.method in _IDEMPOTENT_METHODS or any(name.lower() == "idempotency-key" for name in req.headers)


def _may_retry_failure(req: _Request, failure: _Failure) -> bool:
    # Send again after a network failure only where no duplicate side effect is possible:
    # a replayable request, or one the server cannot have received whole (a connect
    # failure, or a connection that broke while the request was being written). Once a
    # POST was written, a reset or a timeout may mean the work is done (a Slack message
    # sent, a generation billed). Go's net/http has the same rule.
    return _replayable(req) or not failure.sent


def _may_retry_status(req: _Request, status: int) -> bool:
    if _replayable(req):
        return status in _RETRY_STATUSES_IDEMPOTENT
    return status in _RETRY_STATUSES_UNSAFE


def _retry_after(value: Optional[str], now: float) -> Optional[float]:
    # Seconds to wait from a Retry-After header (seconds or HTTP date), or None.
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value).timestamp() - now
        except (TypeError, ValueError, IndexError):  # not a date either (TypeError before 3.10)
            return None
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _backoff(attempt: int) -> float:
    # Exponential from 0.5 s, capped at 8 s, with up to 25 % jitter taken off.
    import random

    return min(_INITIAL_DELAY * (2.0 ** attempt), _MAX_DELAY) * (1.0 - 0.25 * random.random())


###############################################################################
# Streams #####################################################################


# An open SSE response: one read at a time (`read1`, so no read-ahead), events decoded
# as they complete. It owns its connection from the first byte until the body ends
# (the connection goes back to the pool) or `close()` (the socket is shut down).
class _EventSource:
    _ends_with_done = False  # a chat stream's body ends with `data: [DONE]`

    def __init__(self, transport: _Transport, answer: _Answer, req: _Request) -> None:
        self._transport = transport
        self._req = req
        self._answer = answer  # its conn and response are this stream's until it releases them
        self._decoder = SSEDecoder()
        self._events: "deque[ServerSentEvent]" = deque()
        self._closed = False
        self._lock = _new_lock()
        self._request_id = answer.headers.get("x-request-id")  # for support, as on results
        transport.adopt(self, answer.conn)

    def _next_event(self) -> Optional[ServerSentEvent]:
        # The next event, or None once the body has ended (or the stream was closed).
        if self._closed:
            return None
        while not self._events:
            data = self._read()
            if not data:
                self._release()
                return None
            try:
                self._events.extend(self._decoder.feed(data))
            except GumloopError:
                self.close()
                raise
        return self._events.popleft()

    def _read(self) -> bytes:
        # What one read brought in; b"" at the clean end of the body, and once closed. Each
        # recv is bounded by the call's deadline (the connection carries it): keep-alive
        # comments or a trickling peer cannot stretch a stream past its budget.
        left = self._answer.remaining
        try:
            data = self._answer.response.read1(_READ_SIZE if left is None else min(_READ_SIZE, left))
        except Exception as exc:
            if self._closed:
                return b""  # close() from another thread shut the socket under this read
            import http.client

            if not isinstance(exc, (OSError, ValueError, http.client.HTTPException)):
                raise
            self._fail(exc)
        if self._closed:
            return b""  # whatever that read saw, a stream closed meanwhile ends quietly
        if left is not None:
            if not data and left:
                self._fail(ConnectionError("connection closed %d bytes before the end of the response" % left))
            self._answer.remaining = left - len(data)
        elif not data and self._answer.until_close and self._ends_with_done:
            # No framing proves this end: it cannot be told from a cut connection.
            self._fail(ConnectionError("connection closed before data: [DONE]"))
        return data

    def _fail(self, exc: BaseException) -> "NoReturn":
        self.close()
        raise _connection_error(exc, self._req) from None

    def _finish_after_done(self) -> None:
        # [DONE] arrived: when the end of the body follows at once, pool the connection.
        if self._closed or self._answer.until_close:
            self.close()  # a body read until close is never reused
            return
        conn = self._answer.conn
        grace = _monotonic() + _DONE_GRACE
        conn.deadline = grace if conn.deadline is None else min(conn.deadline, grace)
        try:
            rest = self._read()
        except APIConnectionError:
            return  # _read closed the connection
        if rest:
            self.close()  # more than the end: this connection cannot serve another request
        else:
            self._release()

    def _release(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._decoder.close()
        self._transport.release(self._answer.conn, self._answer.response, reusable=self._answer.reusable)

    def close(self) -> None:
        """Close the stream and its connection now (never reused); safe twice and from another thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._answer.conn.abort()  # first: it wakes a read blocked in another thread
        self._answer.conn.close()
        self._answer.response.close()

    def __iter__(self: _S) -> _S:
        return self

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class EventStream(_EventSource):
    """`client.stream(...)`: every server-sent event as it arrives; `with` or close() ends it early."""

    def __next__(self) -> ServerSentEvent:
        event = self._next_event()
        if event is None:
            raise StopIteration
        return event


class Stream(_EventSource):
    """A streamed chat completion: iterate `ChatStreamChunk`s, or `collect()` them.

    An error event ends it with StreamError; `with` or close() ends it early, from any thread.
    """

    _ends_with_done = True

    def __next__(self) -> ChatStreamChunk:
        while True:
            event = self._next_event()
            if event is None:
                raise StopIteration
            if event.data == "[DONE]":
                self._finish_after_done()
                raise StopIteration
            try:
                obj = _loads(event.data, "event data")
            except GumloopError:
                obj = None
            if not isinstance(obj, dict):
                _debug("skipping a stream event that is not a JSON object (%d bytes)", len(event.data))
                continue
            try:
                chunk = _build(ChatStreamChunk, obj)
            except GumloopError:  # a field of the wrong type: the stream ends with it
                self.close()
                raise
            if obj.get("error") is not None and not chunk.choices:
                # An error with no choice to carry it: the documented loop
                # (`chunk.choices[0].delta`) cannot read it, so it ends the stream.
                self.close()
                raise self._error(chunk)
            return chunk

    def _error(self, chunk: ChatStreamChunk, partial: Optional[ChatResult] = None) -> StreamError:
        error = chunk.__dict__["_raw"].get("error")
        fields = error if isinstance(error, dict) else {}
        message = fields.get("message", error)
        text = message if isinstance(message, str) and message else "the stream reported an error"
        return StreamError(text, code=fields.get("code"), chunk=chunk, partial=partial)

    def collect(self) -> ChatResult:
        """Read the rest of the stream into one ChatResult (raises StreamError on an error chunk)."""
        merger = _ChunkMerger()
        try:
            for chunk in self:
                if chunk.__dict__["_raw"].get("error") is not None:
                    raise self._error(chunk, merger.result())
                merger.add(chunk)
        except StreamError as exc:
            exc.partial = exc.partial or merger.result()
            raise
        finally:
            self.close()
        result = merger.result()
        result._request_id = self._request_id
        return result


# Folds stream chunks into the shape of a unary result.
class _ChunkMerger:
    def __init__(self) -> None:
        self.raw: Dict[str, Any] = {"object": "chat.completion"}
        self.choices: Dict[int, Dict[str, Any]] = {}
        self.tool_calls: Dict[Tuple[int, int], Dict[str, Any]] = {}  # (choice, call index) -> call

    def add(self, chunk: ChatStreamChunk) -> None:
        raw: Dict[str, Any] = chunk.__dict__["_raw"]
        for key in ("id", "created", "model", "system_fingerprint"):
            if raw.get(key) is not None:
                self.raw.setdefault(key, raw[key])
        if isinstance(raw.get("usage"), dict):
            self.raw["usage"] = raw["usage"]
        for position, choice in enumerate(chunk.choices):
            index = choice.index if isinstance(choice.index, int) else position
            merged = self.choices.setdefault(index, {"index": index, "message": {"role": "assistant", "content": None}, "finish_reason": None})
            message, delta = merged["message"], choice.delta
            if isinstance(delta.role, str):
                message["role"] = delta.role
            for name in ("content", "reasoning", "refusal"):
                value = getattr(delta, name)
                if isinstance(value, str):
                    message[name] = (message.get(name) or "") + value
            if delta.images:
                message.setdefault("images", []).extend(image.to_dict() for image in delta.images)
            for slot, call in enumerate(delta.tool_calls or ()):
                self._add_tool_call((index, call.index if isinstance(call.index, int) else slot), call)
            if choice.finish_reason is not None:
                merged["finish_reason"] = choice.finish_reason

    def _add_tool_call(self, key: Tuple[int, int], call: ToolCall) -> None:
        merged = self.tool_calls.setdefault(key, {"id": None, "type": "function", "function": {"name": None, "arguments": ""}})
        for name in ("id", "type"):
            if getattr(call, name) is not None:
                merged[name] = getattr(call, name)
        function = merged["function"]
        if isinstance(call.function.name, str):
            function["name"] = (function["name"] or "") + call.function.name
        if isinstance(call.function.arguments, str):
            function["arguments"] += call.function.arguments

    def result(self) -> ChatResult:
        raw = _copy_json(self.raw)
        raw["choices"] = choices = [_copy_json(self.choices[index]) for index in sorted(self.choices)]
        for (index, _), call in sorted(self.tool_calls.items()):
            choice = next(c for c in choices if c["index"] == index)
            choice["message"].setdefault("tool_calls", []).append(_copy_json(call))
        return _build(ChatResult, raw)


###############################################################################
# Client ######################################################################


def _env(name: str) -> Optional[str]:
    return os.environ.get(name) or None


def _check_seconds(name: str, value: Any, *, zero_ok: bool = False, none_ok: bool = True) -> None:
    # A number of seconds (> 0, or >= 0 with zero_ok), or None: refused before anything is sent.
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s takes a number of seconds%s, got %s" % (name, " or None" if none_ok else "", type(value).__name__))
    if not (0 <= value if zero_ok else 0 < value) or value >= _MAX_SECONDS:
        raise ValueError("%s takes a number of seconds %s and below 1e9, got %r" % (name, ">= 0" if zero_ok else "> 0", value))


def _check_url(name: str, url: Any) -> str:
    # A base URL: http or https, a host, a valid port; without its trailing slash.
    parts = urlsplit(url if isinstance(url, str) else "")
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number, or past 65535
        valid = False
    if not valid:
        raise ValueError("%s must be an http:// or https:// URL with a host and a valid port, got %r" % (name, url))
    return str(url).rstrip("/")


def _stream_base(base_url: str) -> str:
    # The chat host of a base URL: api.gumloop.com -> ws.gumloop.com, localhost:8080 -> localhost:9093.
    return base_url.replace("api.gumloop.com", "ws.gumloop.com").replace("localhost:8080", "localhost:9093")


def _arguments(value: Any) -> Dict[str, Any]:
    # Tool or prompt arguments: a mapping, or None for none; sent as a JSON object.
    if value is not None and not isinstance(value, _MappingABC):
        raise TypeError("arguments must be a mapping (a dict of argument names to values), got %s" % type(value).__name__)
    return dict(value or {})


def _pairs(params: Mapping[str, Any]) -> List[Tuple[str, str]]:
    # Query and form fields: None is left out, a list repeats its key, and booleans are
    # written as JSON writes them.
    return [
        (key, str(item).lower() if isinstance(item, bool) else str(item))
        for key, value in params.items()
        for item in (value if isinstance(value, (list, tuple)) else [value])
        if item is not None
    ]


def _encode_json(body: Any) -> bytes:
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError("request body is not JSON-serialisable: %s" % exc) from None


def _encode_body(json_body: Any, data: Optional[Mapping[str, Any]], files: Any) -> Tuple[Optional[bytes], Optional[str]]:
    # The body and its Content-Type: JSON, a form, or multipart/form-data with files.
    if json_body is not None and (data is not None or files is not None):
        raise TypeError("json= cannot be combined with data= or files=")
    if data is not None and not isinstance(data, _MappingABC):
        raise TypeError("data must be a mapping of form fields")
    if json_body is not None:
        return _encode_json(json_body), "application/json"
    if files is not None:
        return _multipart(data or {}, files)
    if data is not None:
        return urlencode(_pairs(data)).encode("ascii"), "application/x-www-form-urlencoded"
    return None, None


def _multipart(fields: Mapping[str, Any], files: Any) -> Tuple[bytes, str]:
    # multipart/form-data (RFC 7578): the form fields, then the files. A file object is
    # read here, once: a retried or replayed request sends the same bytes.
    boundary = "gumloop-" + os.urandom(16).hex()
    parts: List[Tuple[str, Optional[str], Optional[str], bytes]] = [
        (name, None, None, value.encode("utf-8")) for name, value in _pairs(fields)
    ]
    for name, value in files.items() if isinstance(files, _MappingABC) else files:
        filename, content, content_type = (value + (None,))[:3] if isinstance(value, tuple) else (None, value, None)
        if hasattr(content, "read"):
            filename = filename or os.path.basename(str(getattr(content, "name", "") or name))
            content = content.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, bytes):
            raise TypeError("a file is bytes, a binary file object or (filename, bytes or file, content type)")
        parts.append((name, filename or name, content_type or "application/octet-stream", content))
    out = []
    for name, filename, content_type, content in parts:
        disposition = 'form-data; name="%s"' % _form_quote(name)
        if filename is not None:
            disposition += '; filename="%s"' % _form_quote(filename)
        head = "--%s\r\nContent-Disposition: %s\r\n" % (boundary, disposition)
        if content_type:
            head += "Content-Type: %s\r\n" % content_type
        out += [head.encode("utf-8"), b"\r\n", content, b"\r\n"]
    out.append(("--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def _form_quote(text: str) -> str:
    # As browsers write names in a form-data header: no quote or line break can end it.
    return str(text).replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _merge_headers(*layers: Mapping[str, Any]) -> Dict[str, str]:
    # One header per name, compared case-insensitively, a later layer overriding an earlier
    # one (the client's own, then default_headers, then the call's), checked before
    # anything is sent. A message names the header, never its value (it may be a token).
    merged: Dict[str, Tuple[Any, Any]] = {}
    for layer in layers:
        for name, value in layer.items():
            merged[str(name).lower()] = (name, value)
    for name, value in merged.values():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValueError("header name %r is not a token" % (name,))
        if not isinstance(value, str):
            raise TypeError("header %s takes a string value, got %s" % (name, type(value).__name__))
        if _BAD_HEADER_VALUE.search(value):
            raise ValueError("header %s: its value holds a line break, a NUL or a character outside Latin-1" % name)
    return dict(merged.values())


def _decode_body(raw: Optional[bytes]) -> Any:
    if not raw or not raw.strip():
        return None
    try:
        return _loads(raw, "answer")
    except GumloopError:
        raise GumloopError("Gumloop API returned a success response that is not JSON: %s" % _excerpt(raw)) from None


def _server_path(server_id: Any, rest: str = "") -> str:
    if not isinstance(server_id, str) or not server_id:
        raise TypeError("server_id must be a non-empty string, got %r" % (server_id,))
    return "mcp/servers/" + quote(server_id, safe="") + rest


class Gumloop:
    """The Gumloop API client: `chat.completions`, `mcp`, and `request` / `stream` for the rest.

    Every argument is optional (all but api_key keyword-only); unset ones fall back as listed:

    - api_key / access_token: the token; else GUMLOOP_ACCESS_TOKEN, re-read per request.
    - user_id: sent as `x-auth-key`; else GUMLOOP_USER_ID.
    - team_id: `team_id=` on every call to the API base; else GUMLOOP_TEAM_ID.
    - base_url: the API base; else GUMLOOP_BASE_URL, else DEFAULT_BASE_URL.
    - stream_base_url: chat and event streams; else GUMLOOP_STREAM_BASE_URL, else base_url's (api. -> ws.).
    - timeout: a call's whole budget in seconds (connect, every attempt, retry waits, body); 90, None: no limit.
    - stream_timeout: the same for chat (unary too) and `stream()`, the stream's length included; 3600.
    - max_retries: 2; a POST written whole is never sent again.
    - default_headers: added to every request; a call's `headers=` override them.
    - ssl_context: certificate verification; default the system CAs, or SSL_CERT_FILE.
    - proxy: a proxy URL, or "" for none; default HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY.
    TRACEPARENT / TRACESTATE, when set, are sent as W3C trace headers (read per request).

    `client.chat.completions.create(...)` chats, `client.mcp` runs MCP tools and lists servers.
    Agents, sessions, models and the other official groups are not wrapped: reach any endpoint
    with `client.request(method, path)` and any SSE endpoint with `client.stream(method, path)`.
    Safe to share across threads. `close()` (or leaving `with`) is final: a later call raises
    a GumloopError that is also a RuntimeError.
    """

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
        self._env_token_at_init = _Secret(_env("GUMLOOP_ACCESS_TOKEN") or "", "env GUMLOOP_ACCESS_TOKEN")
        self.user_id = user_id or _env("GUMLOOP_USER_ID")
        self.team_id = team_id or _env("GUMLOOP_TEAM_ID")
        _check_seconds("timeout", timeout)
        _check_seconds("stream_timeout", stream_timeout)
        self.base_url = _check_url("base_url", base_url or _env("GUMLOOP_BASE_URL") or DEFAULT_BASE_URL)
        self.stream_base_url = _check_url("stream_base_url", stream_base_url or _env("GUMLOOP_STREAM_BASE_URL") or _stream_base(self.base_url))
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        self.default_headers = dict(default_headers or {})
        _check_proxies(proxy)
        self._transport = _Transport(max_retries=max_retries, ssl_context=ssl_context, proxy=proxy)
        # The transport is made ready here, not at the first call: a Lambda function's
        # module-level client pays for the HTTP and TLS imports and the default context in
        # the init phase. No connection is opened.
        _http_response_class()
        if "https" in (urlsplit(self.base_url).scheme, urlsplit(self.stream_base_url).scheme):
            self._transport._ssl()
        self.chat = Chat(self)
        self.mcp = Mcp(self)
        self.api_key = api_key  # as the official client keeps it (None when access_token= was given)

    # -- credentials -------------------------------------------------------------

    @property
    def access_token(self) -> Optional[str]:
        """The token the next request will send (explicit, else GUMLOOP_ACCESS_TOKEN)."""
        if self._token is not None:
            return self._token.value
        # Rotated tokens (per-invocation sandbox credentials) are picked up on every call.
        return _env("GUMLOOP_ACCESS_TOKEN") or self._env_token_at_init.value or None

    @access_token.setter
    def access_token(self, value: Optional[str]) -> None:
        self._token = _Secret(value, "access_token") if value else None

    def __repr__(self) -> str:
        # Where the token comes from, never the token.
        source = repr(self._token) if self._token else "<set: env GUMLOOP_ACCESS_TOKEN>" if self.access_token else "<missing>"
        return "Gumloop(base_url=%r, stream_base_url=%r, token=%s, user_id=%r, team_id=%r)" % (
            self.base_url, self.stream_base_url, source, self.user_id, self.team_id,
        )

    def _headers(self, accept: str, content_type: Optional[str], url: str, extra: Optional[Mapping[str, Any]]) -> Dict[str, str]:
        token = self.access_token
        if not token:
            raise AuthenticationError(
                "No Gumloop credential: pass access_token= (or api_key=) or set GUMLOOP_ACCESS_TOKEN"
            )
        _remember_secret(token)
        own = {"User-Agent": _USER_AGENT, "Accept": accept}
        if content_type:
            own["Content-Type"] = content_type
        if _origin(url) in (_origin(self.base_url), _origin(self.stream_base_url)):  # credentials go only there
            own["Authorization"] = "Bearer " + token
            if self.user_id:
                own["x-auth-key"] = self.user_id
            for name in ("traceparent", "tracestate"):  # W3C trace context, read per request
                if _env(name.upper()):
                    own[name] = os.environ[name.upper()]
        return _merge_headers(own, self.default_headers, extra or {})

    # -- the two generic calls ---------------------------------------------------

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json_body: Any = None,
        data: Optional[Mapping[str, Any]] = None,
        files: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        team_id: Optional[str] = None,
        stream_host: bool,
        timeout: Optional[float],
        accept: str,
    ) -> _Request:
        self._transport.check_open()
        if not isinstance(method, str) or not isinstance(path, str):
            raise TypeError("method and path must be strings")
        if not _HEADER_NAME.fullmatch(method):
            raise ValueError("method must be an HTTP method name (a token), got %r" % method[:50])
        if params is not None and not isinstance(params, _MappingABC):
            raise TypeError("params must be a mapping")
        _check_seconds("timeout", timeout)
        absolute = path.startswith(("http://", "https://"))
        url = path if absolute else (self.stream_base_url if stream_host else self.base_url) + "/" + path.lstrip("/")
        # The client's team scopes requests to the API base; a call's own team_id wins
        # wherever it goes, and team_id="" sends none.
        on_base = url.startswith(self.base_url + "/") and (absolute or not stream_host)
        team = team_id if team_id is not None else (self.team_id if on_base else None)
        query = dict(params or {})
        if team:
            query.setdefault("team_id", team)
        encoded = urlencode(_pairs(query))
        if encoded:
            url += ("&" if "?" in url else "?") + encoded
        body, content_type = _encode_body(json_body, data, files)
        request_headers = self._headers(accept, content_type, url, headers)
        if timeout is None:  # chat and every event stream run long: stream_timeout
            timeout = self.stream_timeout if stream_host or accept == "text/event-stream" else self.timeout
        return _Request(method.upper(), url, request_headers, body, timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        data: Optional[Mapping[str, Any]] = None,
        files: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        team_id: Optional[str] = None,
        stream_host: bool = False,
        raw: bool = False,
        timeout: Optional[float] = None,
    ) -> Any:
        """Call any endpoint; returns the decoded JSON (None for an empty body), or with
        raw=True the body as bytes. `path` is relative to the base URL, or absolute.
        Raises APIStatusError (a subclass per status) or APIConnectionError / APITimeoutError."""
        req = self._prepare(
            method, path, params=params, json_body=json, data=data, files=files, headers=headers,
            team_id=team_id, stream_host=stream_host, timeout=timeout, accept="*/*" if raw else "application/json",
        )
        body = self._transport.send(req).body
        return body if raw else _decode_body(body)

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        team_id: Optional[str] = None,
        stream_host: bool = True,
        timeout: Optional[float] = None,
    ) -> EventStream:
        """Open any SSE endpoint (the stream host unless stream_host=False); returns an EventStream:
        iterate its ServerSentEvents, close() it or use `with`. An error status raises here."""
        req = self._prepare(
            method, path, params=params, json_body=json, headers=headers, team_id=team_id,
            stream_host=stream_host, timeout=timeout, accept="text/event-stream",
        )
        return EventStream(self._transport, self._transport.send(req, stream=True), req)

    def close(self) -> None:
        """Close every connection and open stream; final: a later call raises a GumloopError
        that is also a RuntimeError."""
        self._transport.close()

    def __enter__(self) -> "Gumloop":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    if not TYPE_CHECKING:  # type checkers go on reporting a misspelt attribute

        def __getattr__(self, name: str) -> NoReturn:
            _no_attribute(self, name)


# The official SDK's resource groups this file does not wrap: each endpoint is one
# `client.request` / `client.stream` call away, and reading one says so.
_UNWRAPPED_GROUPS = frozenset((
    "agents", "sessions", "models", "skills", "artifacts", "brain", "teams", "organizations", "evaluations",
    "browser_profiles", "decisions", "wiki", "voice", "sync", "oauth",
))


def _no_attribute(obj: object, name: str) -> "NoReturn":
    if name in _UNWRAPPED_GROUPS:
        raise AttributeError(
            "%s.%s is not wrapped by gumloop.py: reach its endpoints with client.request(...) / client.stream(...) "
            '(README: "Everything else the API offers")' % (type(obj).__name__, name)
        )
    raise AttributeError("%r object has no attribute %r" % (type(obj).__name__, name))


# `client.chat.completions`.
class Completions:
    """`client.chat.completions`: `create(model=..., messages=[...])`."""

    def __init__(self, client: Gumloop) -> None:
        self._client = client

    @overload
    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Literal[True], timeout: Optional[float] = None, **kwargs: Any
    ) -> Stream: ...
    @overload
    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[Literal[False]] = None,
        timeout: Optional[float] = None, **kwargs: Any,
    ) -> ChatResult: ...
    @overload
    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[bool], timeout: Optional[float] = None, **kwargs: Any
    ) -> Union[ChatResult, Stream]: ...

    def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[bool] = None,
        timeout: Optional[float] = None, **kwargs: Any,
    ) -> Union[ChatResult, Stream]:
        """Create a chat completion: a ChatResult, or a Stream with stream=True.

        Request fields go as keywords or a `request` dict; the call's budget is stream_timeout
        unless timeout= is given. An error status raises APIStatusError here, stream or not."""
        if request is not None and not isinstance(request, _MappingABC):
            raise TypeError("request must be a mapping of request fields, got %s" % type(request).__name__)
        body = dict(request or {})
        body.update((k, v) for k, v in dict(kwargs, stream=stream).items() if v is not None)
        streaming = body.get("stream") is True
        accept = "text/event-stream" if streaming else "application/json"
        req = self._client._prepare("POST", "chat/completions", json_body=body, stream_host=True, timeout=timeout, accept=accept)
        if streaming:
            return Stream(self._client._transport, self._client._transport.send(req, stream=True), req)
        return _result_object(ChatResult, self._client._transport.send(req), "chat completion")


# `client.chat`.
class Chat:
    """`client.chat`: holds `completions`."""

    def __init__(self, client: Gumloop) -> None:
        self.completions = Completions(client)


# `client.mcp`: tool execution and the read endpoints.
class Mcp:
    """`client.mcp`: run MCP tools (`execute`, `execute_many`) and read servers, accounts,
    tools, resources and prompts. Every method takes `team_id=` and `timeout=`."""

    def __init__(self, client: Gumloop) -> None:
        self._client = client

    def _get(self, cls: Type[_M], path: str, params: Dict[str, Any], team_id: Optional[str], timeout: Optional[float]) -> _M:
        return self._call(cls, "GET", path, params, None, team_id, timeout)

    def _post_with_team(self, cls: Type[_M], path: str, body: Dict[str, Any], team_id: Optional[str], timeout: Optional[float]) -> _M:
        team = team_id if team_id is not None else self._client.team_id
        if team:
            body["team_id"] = team
        return self._call(cls, "POST", path, None, body, team_id, timeout)

    def _call(
        self, cls: Type[_M], method: str, path: str, params: Optional[Dict[str, Any]], body: Any,
        team_id: Optional[str], timeout: Optional[float],
    ) -> _M:
        req = self._client._prepare(
            method, path, params=params, json_body=body, team_id=team_id, stream_host=False, timeout=timeout, accept="application/json"
        )
        return _result_object(cls, self._client._transport.send(req), path)

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
        """Run one MCP tool; returns an McpExecuteResponse. Failures of the tool come back on
        the result (`results[0].ok`, `.error`), not as exceptions."""
        call = McpToolCallRequest(server_id, tool_name, arguments, ref, account)
        return self.execute_many([call], team_id=team_id, timeout=timeout)

    def execute_many(
        self,
        calls: Sequence[Union[McpToolCallRequest, Mapping[str, Any]]],
        *,
        team_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> McpExecuteResponse:
        """Run 1 to 5 MCP tool calls (dicts or McpToolCallRequest) in one request; returns an
        McpExecuteResponse, one result per call."""
        if isinstance(calls, (str, bytes, _MappingABC)) or not isinstance(calls, _SequenceABC):
            raise TypeError("calls must be a list of dicts or McpToolCallRequest")
        if not 1 <= len(calls) <= 5:
            raise ValueError("calls is empty" if not calls else "calls takes 1 to 5 tool calls per request, got %d" % len(calls))
        wire = [_mcp_call(call) for call in calls]
        return self._post_with_team(McpExecuteResponse, "mcp/tools/call", {"calls": wire}, team_id, timeout)

    def list_servers(self, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpServersResponse:
        """The MCP servers the account can use: an McpServersResponse (`.servers`)."""
        return self._get(McpServersResponse, "mcp/servers", params, team_id, timeout)

    def get_server(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpServerResponse:
        """One MCP server: an McpServerResponse (`.server`)."""
        return self._get(McpServerResponse, _server_path(server_id), params, team_id, timeout)

    def list_accounts(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None) -> McpServerAccountsResponse:
        """The connected accounts of a server: an McpServerAccountsResponse (`.accounts`)."""
        return self._get(McpServerAccountsResponse, _server_path(server_id, "/accounts"), {}, team_id, timeout)

    def list_tools(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpToolsResponse:
        """The tools of a server: an McpToolsResponse (`.tools`)."""
        return self._get(McpToolsResponse, _server_path(server_id, "/tools"), params, team_id, timeout)

    def list_resources(
        self, server_id: str, *, cursor: Optional[str] = None, team_id: Optional[str] = None,
        timeout: Optional[float] = None, **params: Any,
    ) -> McpResourcesResponse:
        """One page of a server's resources: an McpResourcesResponse; pass its `next_cursor` as `cursor=`."""
        return self._get(McpResourcesResponse, _server_path(server_id, "/resources"), dict(params, cursor=cursor), team_id, timeout)

    def get_resource(
        self, server_id: str, uri: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpResourceReadResponse:
        """Read a resource by `uri`: an McpResourceReadResponse (`.contents`, `.text`)."""
        return self._get(McpResourceReadResponse, _server_path(server_id, "/resources/read"), dict(params, uri=uri), team_id, timeout)

    def list_prompts(self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpPromptsResponse:
        """The prompt templates of a server: an McpPromptsResponse (`.prompts`)."""
        return self._get(McpPromptsResponse, _server_path(server_id, "/prompts"), params, team_id, timeout)

    def get_prompt(
        self, server_id: str, name: str, arguments: Optional[Mapping[str, Any]] = None, *,
        team_id: Optional[str] = None, timeout: Optional[float] = None,
    ) -> McpPromptResponse:
        """Render a prompt template with `arguments`: an McpPromptResponse (`.messages`)."""
        body = {"name": name, "arguments": _arguments(arguments)}
        return self._post_with_team(McpPromptResponse, _server_path(server_id, "/prompts/get"), body, team_id, timeout)

    def close(self) -> None:
        """Close the client's idle connections; the client goes on (the official client has this too)."""
        self._client._transport.drop_idle()


def _mcp_call(call: Union[McpToolCallRequest, Mapping[str, Any]]) -> Dict[str, Any]:
    if isinstance(call, McpToolCallRequest):
        wire = call.to_dict()
    elif isinstance(call, _MappingABC):
        wire = {k: v for k, v in call.items() if v is not None}
    else:
        raise TypeError("each call must be a dict or McpToolCallRequest, got %s" % type(call).__name__)
    for name in ("server_id", "tool_name"):
        if not isinstance(wire.get(name), str) or not wire[name]:
            raise TypeError("each call needs a non-empty string %s" % name)
    wire["arguments"] = _arguments(wire.get("arguments"))
    return wire


###############################################################################
# Async client ################################################################
#
# AsyncGumloop is Gumloop with each blocking call run in a worker thread of its own: the
# event loop only hands calls over and is handed results (loop.call_soon_threadsafe), so
# no network I/O ever runs on it. A stream's next chunk is one such call. Cancelling the
# awaiting task ends the call at once: a stream is closed, a request's socket is shut
# down through the transport (`interrupt`). asyncio is imported only here, when used.
# Every method spells out the sync method's parameters again, on purpose: a type checker
# then holds callers to them, and a wrong keyword's TypeError names the public method.


class _Job:
    # One blocking call for a worker thread, the future the event loop awaits, and the
    # call's scope, through which a cancel reaches this call's connection and no other.

    def __init__(self, call: Callable[[], Any], future: Any) -> None:
        self.call = call
        self.future = future
        self.scope = _Scope()

    def run(self) -> None:
        if self.future.cancelled():
            return
        _calls.scope = self.scope
        try:
            outcome: Tuple[bool, Any] = (True, self.call())
        except BaseException as exc:  # handed to the awaiting task, whatever it is
            outcome = (False, exc)
        finally:
            _calls.scope = None
        try:
            self.future.get_loop().call_soon_threadsafe(self._settle, *outcome)
        except RuntimeError:  # the loop is closed: nobody will take the result
            if isinstance(outcome[1], _EventSource):
                outcome[1].close()

    def cancel(self) -> None:
        # From the loop, for a task cancelled while it awaits this call.
        self.scope.cancel()

    def _settle(self, ok: bool, value: Any) -> None:
        if self.future.cancelled():
            if isinstance(value, _EventSource):
                value.close()  # a stream opened for a task that is gone
        elif ok:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)


class _Workers:
    # The threads of one AsyncGumloop. The event loop never starts one: Thread.start()
    # waits until the new thread runs, which on a busy 2-core machine can hold the loop
    # past 100 ms. Instead, a worker that takes a job when no other worker is idle starts
    # the next one, so a new job always finds a worker waiting. As a ThreadPoolExecutor's,
    # the threads stay until the end (aclose()).

    def __init__(self) -> None:
        import queue

        self._jobs: Any = queue.SimpleQueue()
        self._lock = _new_lock()
        self._threads: List[Any] = []
        self._idle = 0
        self._closed = False
        self._stopped: Any = None  # the future stop() awaits: set by the last worker to end

    def submit(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise _ClientClosed("the client is closed")
            first = not self._threads
        self._jobs.put(job)
        if first:
            self._start()  # the one thread a caller starts: at first use, before any load

    def _start(self) -> None:
        import threading

        with self._lock:
            if self._closed:
                return
            thread = threading.Thread(target=self._work, name="gumloop-async-%d" % len(self._threads), daemon=True)
            self._threads.append(thread)
            self._idle += 1
        thread.start()

    def _work(self) -> None:
        import threading

        while True:
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
                spawn = self._idle == 0 and job is not None
            if job is None:
                break
            if spawn:
                self._start()
            job.run()
            job = None  # an idle worker keeps nothing alive (the stream a call read from)
            with self._lock:
                self._idle += 1
        with self._lock:
            self._threads.remove(threading.current_thread())
            stopped = self._stopped if self._closed and not self._threads else None
        if stopped is not None:
            stopped.get_loop().call_soon_threadsafe(stopped.set_result, None)

    async def stop(self) -> None:
        # Every worker ends (the client was closed first: a call in flight has failed).
        import asyncio

        with self._lock:
            self._closed = True
            threads = list(self._threads)
            if threads:
                self._stopped = asyncio.get_running_loop().create_future()
        for thread in threads:
            self._jobs.put(None)
        if threads:
            await self._stopped
        for thread in threads:
            thread.join()  # past its last statement already


class AsyncGumloop:
    """Gumloop for asyncio code: the same arguments, results, errors and retries, awaited.

    Its arguments and environment variables are Gumloop's (see help(Gumloop)); it offers
    `chat.completions`, `mcp`, `request` and `stream`, each awaited. Each call runs in a
    worker thread of the client's (one per call in flight, and per stream waiting for its
    next chunk), so the event loop is never blocked by the network. `await aclose()` (or
    leaving `async with`) is final, as Gumloop.close().
    """

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
        import weakref

        self._client = Gumloop(
            api_key, access_token=access_token, user_id=user_id, team_id=team_id, base_url=base_url,
            stream_base_url=stream_base_url, timeout=timeout, stream_timeout=stream_timeout, max_retries=max_retries,
            default_headers=default_headers, ssl_context=ssl_context, proxy=proxy,
        )
        self._workers = _Workers()
        # Open streams, for aclose(). Weakly held: a stream dropped after `break` is closed
        # by the garbage collector, as a sync Stream is.
        self._streams: "weakref.WeakSet[_AsyncEvents]" = weakref.WeakSet()
        self.chat = AsyncChat(self)
        self.mcp = AsyncMcp(self)
        self.api_key = api_key

    def __repr__(self) -> str:
        return "Async" + repr(self._client)

    async def _run(self, call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        import asyncio
        import functools

        job = _Job(functools.partial(call, *args, **kwargs), asyncio.get_running_loop().create_future())
        self._workers.submit(job)
        try:
            return await job.future  # type: ignore[no-any-return]  # the future holds what `call` returned
        except asyncio.CancelledError:
            job.cancel()
            raise

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        data: Optional[Mapping[str, Any]] = None,
        files: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        team_id: Optional[str] = None,
        stream_host: bool = False,
        raw: bool = False,
        timeout: Optional[float] = None,
    ) -> Any:
        """Gumloop.request, awaited."""
        return await self._run(
            self._client.request, method, path, params=params, json=json, data=data, files=files, headers=headers,
            team_id=team_id, stream_host=stream_host, raw=raw, timeout=timeout,
        )

    async def stream(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        team_id: Optional[str] = None,
        stream_host: bool = True,
        timeout: Optional[float] = None,
    ) -> "AsyncEventStream":
        """Gumloop.stream, awaited: an async iterator of ServerSentEvent."""
        events = await self._run(
            self._client.stream, method, path, params=params, json=json, headers=headers, team_id=team_id,
            stream_host=stream_host, timeout=timeout,
        )
        return AsyncEventStream(self, events)

    async def aclose(self) -> None:
        """Close every stream and connection; final, and no thread of the client is left running."""
        for stream in list(self._streams):
            await stream.aclose()
        self._client.close()
        await self._workers.stop()

    async def __aenter__(self) -> "AsyncGumloop":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    if not TYPE_CHECKING:  # type checkers go on reporting a misspelt attribute

        def __getattr__(self, name: str) -> NoReturn:
            _no_attribute(self, name)


class _AsyncEvents:
    # What both async streams share: `async for`, `async with`, `await aclose()`.

    def __init__(self, client: AsyncGumloop, stream: _EventSource) -> None:
        self._client = client
        self._stream = stream
        self._request_id = stream._request_id
        client._streams.add(self)

    def __aiter__(self: _A) -> _A:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._client._run(next, self._stream, None)
        except BaseException:
            await self.aclose()  # cancelled, or the stream failed: its connection is closed
            raise
        if item is None:
            await self.aclose()
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        """Close the stream and its connection now."""
        self._stream.close()
        self._client._streams.discard(self)

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


class AsyncStream(_AsyncEvents):
    """A streamed chat completion, awaited: `async for` its chunks, `async with`,
    `await aclose()`, and `await collect()`."""

    _stream: Stream

    async def collect(self) -> ChatResult:
        """Stream.collect(), awaited."""
        try:
            return await self._client._run(self._stream.collect)
        finally:
            await self.aclose()


class AsyncEventStream(_AsyncEvents):
    """`AsyncGumloop.stream(...)`: `async for` every server-sent event as it arrives."""


# `client.chat.completions` of AsyncGumloop.
class AsyncCompletions:
    """`client.chat.completions` of AsyncGumloop: `await create(...)`."""

    def __init__(self, client: AsyncGumloop) -> None:
        self._client = client

    @overload
    async def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Literal[True], timeout: Optional[float] = None, **kwargs: Any
    ) -> AsyncStream: ...
    @overload
    async def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[Literal[False]] = None,
        timeout: Optional[float] = None, **kwargs: Any,
    ) -> ChatResult: ...
    @overload
    async def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[bool], timeout: Optional[float] = None, **kwargs: Any
    ) -> Union[ChatResult, AsyncStream]: ...

    async def create(
        self, request: Optional[Mapping[str, Any]] = None, *, stream: Optional[bool] = None,
        timeout: Optional[float] = None, **kwargs: Any,
    ) -> Union[ChatResult, AsyncStream]:
        """chat.completions.create, awaited: a ChatResult, or an AsyncStream with stream=True."""
        result = await self._client._run(self._client._client.chat.completions.create, request, stream=stream, timeout=timeout, **kwargs)
        return AsyncStream(self._client, result) if isinstance(result, Stream) else result


# `client.chat` of AsyncGumloop.
class AsyncChat:
    """`client.chat` of AsyncGumloop: holds `completions`."""

    def __init__(self, client: AsyncGumloop) -> None:
        self.completions = AsyncCompletions(client)


# `client.mcp` of AsyncGumloop: every method of Gumloop's, with its parameters, awaited.
class AsyncMcp:
    """`client.mcp` of AsyncGumloop: every method of Mcp, with its parameters, awaited."""

    def __init__(self, client: AsyncGumloop) -> None:
        self._run = client._run
        self._mcp = client._client.mcp

    async def execute(
        self, server_id: str, tool_name: str, arguments: Optional[Mapping[str, Any]] = None, *, ref: Optional[str] = None,
        account: Optional[str] = None, team_id: Optional[str] = None, timeout: Optional[float] = None,
    ) -> McpExecuteResponse:
        """Mcp.execute, awaited."""
        return await self._run(
            self._mcp.execute, server_id, tool_name, arguments, ref=ref, account=account, team_id=team_id, timeout=timeout
        )

    async def execute_many(
        self, calls: Sequence[Union[McpToolCallRequest, Mapping[str, Any]]], *, team_id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> McpExecuteResponse:
        """Mcp.execute_many, awaited."""
        return await self._run(self._mcp.execute_many, calls, team_id=team_id, timeout=timeout)

    async def list_servers(self, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any) -> McpServersResponse:
        """Mcp.list_servers, awaited."""
        return await self._run(self._mcp.list_servers, team_id=team_id, timeout=timeout, **params)

    async def get_server(
        self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpServerResponse:
        """Mcp.get_server, awaited."""
        return await self._run(self._mcp.get_server, server_id, team_id=team_id, timeout=timeout, **params)

    async def list_accounts(
        self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None
    ) -> McpServerAccountsResponse:
        """Mcp.list_accounts, awaited."""
        return await self._run(self._mcp.list_accounts, server_id, team_id=team_id, timeout=timeout)

    async def list_tools(
        self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpToolsResponse:
        """Mcp.list_tools, awaited."""
        return await self._run(self._mcp.list_tools, server_id, team_id=team_id, timeout=timeout, **params)

    async def list_resources(
        self, server_id: str, *, cursor: Optional[str] = None, team_id: Optional[str] = None,
        timeout: Optional[float] = None, **params: Any,
    ) -> McpResourcesResponse:
        """Mcp.list_resources, awaited."""
        return await self._run(self._mcp.list_resources, server_id, cursor=cursor, team_id=team_id, timeout=timeout, **params)

    async def get_resource(
        self, server_id: str, uri: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpResourceReadResponse:
        """Mcp.get_resource, awaited."""
        return await self._run(self._mcp.get_resource, server_id, uri, team_id=team_id, timeout=timeout, **params)

    async def list_prompts(
        self, server_id: str, *, team_id: Optional[str] = None, timeout: Optional[float] = None, **params: Any
    ) -> McpPromptsResponse:
        """Mcp.list_prompts, awaited."""
        return await self._run(self._mcp.list_prompts, server_id, team_id=team_id, timeout=timeout, **params)

    async def get_prompt(
        self, server_id: str, name: str, arguments: Optional[Mapping[str, Any]] = None, *,
        team_id: Optional[str] = None, timeout: Optional[float] = None,
    ) -> McpPromptResponse:
        """Mcp.get_prompt, awaited."""
        return await self._run(self._mcp.get_prompt, server_id, name, arguments, team_id=team_id, timeout=timeout)

    def close(self) -> None:
        """Close the client's idle connections; the client goes on (the official client has this too)."""
        self._mcp.close()


###############################################################################
# Legacy flows client #########################################################


class GumloopClient:
    """The flows client: start a saved flow and poll it to the end. Use `Gumloop` for new code.

    GumloopClient(api_key, user_id, project_id=None, *, base_url=None) warns with a
    DeprecationWarning. `api_key` is the token (required: GUMLOOP_ACCESS_TOKEN is not read),
    `user_id` the flow's owner, `project_id` a workspace's; `base_url` defaults to
    GUMLOOP_BASE_URL, else DEFAULT_BASE_URL. Proxies and TLS are Gumloop's; close() is final.
    """

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
        self.user_id = user_id
        self.project_id = project_id
        # One configuration, the inner client's, which api_key and base_url read and set.
        # The flows API names its user in the body and the query, takes no team and never
        # uses the chat host (so GUMLOOP_STREAM_BASE_URL is not read).
        self._client = Gumloop(api_key, base_url=base_url, stream_base_url=DEFAULT_BASE_URL)
        self._client.user_id = self._client.team_id = None
        self.base_url = self._client.base_url

    @property
    def api_key(self) -> str:
        """The token every call sends; settable."""
        return self._client.access_token or ""

    @api_key.setter
    def api_key(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise TypeError("api_key must be a non-empty string")  # never a fall back to GUMLOOP_ACCESS_TOKEN
        self._client.access_token = value

    @property
    def base_url(self) -> str:
        """The API base URL; settable (the official client reads it on every call too)."""
        return self._client.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._client.base_url = self._client.stream_base_url = _check_url("base_url", value)

    @property
    def headers(self) -> Dict[str, str]:
        """The headers every call sends, as the official client's `headers` dict."""
        return {"Authorization": "Bearer " + self.api_key, "Content-Type": "application/json", "User-Agent": _USER_AGENT}

    def __repr__(self) -> str:
        return "GumloopClient(base_url=%r, api_key=<set: api_key>, user_id=%r, project_id=%r)" % (
            self.base_url, self.user_id, self.project_id,
        )

    def _call(self, method: str, path: str, params: Optional[Dict[str, Any]], body: Any, timeout: Optional[float]) -> Any:
        return self._client.request(method, path, params=params, json=body, timeout=timeout)

    def start_flow(self, flow_id: str, inputs: Optional[Mapping[str, Any]] = None, *, timeout: Optional[float] = None) -> str:
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
        answer = self._call("POST", "start_pipeline", None, body, timeout)
        run_id = answer.get("run_id") if isinstance(answer, dict) else None
        if not isinstance(run_id, str) or not run_id:
            raise GumloopError("start_pipeline answered without a run_id")
        return run_id

    def get_run_status(self, run_id: str, *, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The run's status dict: state, outputs, log."""
        params = {"run_id": run_id, "user_id": self.user_id, "project_id": self.project_id or None}
        status = self._call("GET", "get_pl_run", params, None, timeout)
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
        """Start the flow, poll every `poll_interval` seconds until it ends, return its outputs.

        `timeout` bounds the whole run (FlowTimeoutError); a failed run raises FlowRunError;
        `on_status` is called with each status dict."""
        _check_seconds("poll_interval", poll_interval, zero_ok=True, none_ok=False)  # 0: poll again at once
        _check_seconds("timeout", timeout, zero_ok=True)
        # The deadline bounds the whole run, each request included (timeout=0: start, then stop).
        deadline = None if timeout is None else _monotonic() + timeout
        run_id = self.start_flow(flow_id, inputs, timeout=timeout or None)
        status: Dict[str, Any] = {}
        failures = 0
        while True:
            left = None if deadline is None else deadline - _monotonic()
            if left is not None and left <= 0:
                raise FlowTimeoutError(
                    "flow run %s did not finish within %s s" % (run_id, timeout),
                    run_id=run_id, state=status.get("state"), log=status.get("log"),
                )
            try:
                status = self.get_run_status(run_id, timeout=None if left is None else min(left, DEFAULT_TIMEOUT))
                failures = 0
            except (APIConnectionError, InternalServerError) as exc:
                # The transport already retried; a busy or flaky API should not end a
                # long run, but five failures in a row is an outage.
                failures += 1
                if failures >= _FLOW_MAX_POLL_FAILURES and (deadline is None or _monotonic() < deadline):
                    raise
                _debug("flow poll failed (%d in a row): %s", failures, type(exc).__name__)
            else:
                if on_status is not None:
                    on_status(status)
                state = status.get("state")
                if state == "DONE":
                    return status.get("outputs")
                if state in ("FAILED", "TERMINATING", "TERMINATED"):
                    how = "failed" if state == "FAILED" else "was terminated"
                    log = status.get("log")
                    raise FlowRunError("flow run %s %s: %s" % (run_id, how, log), run_id=run_id, state=state, log=log)
            left = None if deadline is None else max(0.0, deadline - _monotonic())
            _sleep(poll_interval if left is None else min(poll_interval, left))

    def close(self) -> None:
        """Close the connection; final, as `Gumloop.close()`."""
        self._client.close()

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
    common.add_argument(
        "--stream-base-url", help="chat host URL (default: GUMLOOP_STREAM_BASE_URL, or derived from the base URL; "
        "--base-url alone moves it too: a flag beats the environment)",
    )
    common.add_argument("--team-id", help="team scope (default: GUMLOOP_TEAM_ID)")
    parser = argparse.ArgumentParser(
        prog="gumloop",
        description="Talk to the Gumloop API. Credentials come from GUMLOOP_ACCESS_TOKEN "
        "(and GUMLOOP_USER_ID for flows).",
        epilog="Exit status: 0 success; 1 an API, network or tool error (with one line on stderr); 2 usage; "
        "130 interrupted; 141 the output pipe was closed (quietly, as a SIGPIPE would end it).",
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
    mcp.set_defaults(parser=mcp)  # its own usage for an --args error
    mcp.add_argument("server_id")
    mcp.add_argument("tool_name")
    mcp.add_argument("--args", default="{}", help="tool arguments as a JSON object")
    # Flows take no team and never use the chat host: only the flags they read.
    flow = sub.add_parser("flow", help="run a saved flow and print its outputs")
    flow.set_defaults(parser=flow)
    flow.add_argument("flow_id")
    flow.add_argument("--base-url", help="API base URL (default: GUMLOOP_BASE_URL or %s)" % DEFAULT_BASE_URL)
    flow.add_argument("--user-id", help="the flow owner's user id (default: GUMLOOP_USER_ID)")
    flow.add_argument("--input", action="append", default=[], metavar="NAME=VALUE", help="a flow input (repeatable)")
    flow.add_argument("--project-id", help="workspace project id")
    flow.add_argument("--timeout", type=float, help="give up after S seconds")
    return parser


class _ScrubbedOutput:
    # stdout or stderr of the command line: whatever it prints is scrubbed of tokens first
    # (a tool's error or a model's answer may echo one). Each write on its own: a streamed
    # reply is printed as it arrives, so a token split across two deltas is not caught.
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(_scrub(text))

    def flush(self) -> None:
        self.stream.flush()


def _main(argv: Optional[Sequence[str]] = None) -> int:
    out, err = _ScrubbedOutput(sys.stdout), _ScrubbedOutput(sys.stderr)
    try:
        parser = _build_parser()
        args = parser.parse_args(argv)
        if args.command == "mcp":
            try:
                tool_args = json.loads(args.args)
            except ValueError as exc:
                args.parser.error("--args is not valid JSON: %s" % exc)
            if not isinstance(tool_args, dict):
                args.parser.error("--args must be a JSON object")
            return _cli_mcp(args, tool_args, out, err)
        if args.command == "flow":
            inputs: Dict[str, Any] = {}
            for item in args.input:
                name, eq, value = item.partition("=")
                if not eq or not name:
                    args.parser.error("--input takes NAME=VALUE, got %r" % item)
                inputs[name] = value
            return _cli_flow(args, inputs, out, err)
        return _cli_chat(args, out, err)
    except GumloopError as exc:
        if isinstance(exc, APIStatusError):  # the status once, whether the message says it or not
            status = "HTTP %d" % exc.status_code
            err.write("error: %s\n" % (str(exc).strip() if status in str(exc) else "%s: %s" % (status, str(exc).strip())))
        elif isinstance(exc, AuthenticationError):
            err.write("error: no credential: set GUMLOOP_ACCESS_TOKEN\n")
        else:
            err.write("error: %s\n" % str(exc).strip())
        return 1
    except ValueError as exc:  # a bad URL or argument, refused before anything was sent
        err.write("error: %s\n" % str(exc).strip())
        return 2
    except BrokenPipeError:
        raise  # main() ends quietly
    except OSError as exc:  # a file of its own it could not write (--save-images)
        err.write("error: %s\n" % str(exc).strip())
        return 1
    except KeyboardInterrupt:
        err.write("\n")
        return 130


def _cli_client(args: Any) -> Gumloop:
    # A flag beats the environment: --base-url alone moves the chat host with it.
    stream_base_url = args.stream_base_url or (_stream_base(args.base_url) if args.base_url else None)
    return Gumloop(base_url=args.base_url, stream_base_url=stream_base_url, team_id=args.team_id)


def _cli_chat(args: Any, out: Any, err: Any) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = [{"role": "system", "content": args.system}] if args.system else []
    messages.append({"role": "user", "content": prompt})
    with _cli_client(args) as client:
        if args.no_stream:
            result = client.chat.completions.create(model=args.model, messages=messages)
            text = result.choices[0].message.content if result.choices else None
            out.write((json.dumps(result.to_dict(), ensure_ascii=False) if args.json else text or "") + "\n")
        else:
            merger = _ChunkMerger()
            with client.chat.completions.create(model=args.model, messages=messages, stream=True) as stream:
                for chunk in stream:
                    merger.add(chunk)
                    if args.json:
                        out.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
                    elif chunk.error is not None:
                        raise StreamError(str(chunk.error.message or "stream error"), code=chunk.error.code)
                    elif chunk.choices and chunk.choices[0].delta.content:
                        out.write(chunk.choices[0].delta.content)
                    out.flush()
            out.write("" if args.json else "\n")
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
    if not response.results:
        err.write("error: the answer to %s/%s holds no result\n" % (args.server_id, args.tool_name))
        return 1
    failed = False
    for result in response.results:
        if not result.ok:
            failed = True
            error = json.dumps(result.error, ensure_ascii=False)
            err.write("error: tool %s/%s failed (status %s): %s\n" % (args.server_id, args.tool_name, result.status, error))
            continue
        for item in result.decoded_content or ():
            out.write((item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, indent=2)) + "\n")
    return 1 if failed else 0


def _cli_flow(args: Any, inputs: Dict[str, Any], out: Any, err: Any) -> int:
    import warnings

    token = _env("GUMLOOP_ACCESS_TOKEN")
    if not token:
        raise AuthenticationError("no credential")
    user_id = args.user_id or _env("GUMLOOP_USER_ID")
    if not user_id:
        err.write("error: flows need --user-id or GUMLOOP_USER_ID\n")
        return 1
    started = _monotonic()
    show = sys.stderr.isatty()

    def progress(status: Dict[str, Any]) -> None:
        err.write("\r%6.1fs  %-12s" % (_monotonic() - started, status.get("state")))
        err.flush()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        client = GumloopClient(token, user_id, args.project_id, base_url=args.base_url)
    with client:
        outputs = client.run_flow(args.flow_id, inputs, timeout=args.timeout, on_status=progress if show else None)
    if show:
        err.write("\n")
    out.write(json.dumps(outputs, ensure_ascii=False, indent=2) + "\n")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of `python -m gumloop` / `python gumloop.py`."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`| head`): end quietly. Python would report the failed
        # flush of stdout at exit, so stdout is pointed at the null device first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    # `python gumloop.py` runs this file as __main__; make a later `import gumloop`
    # return this same module, so there is one GumloopError class, not two.
    sys.modules.setdefault("gumloop", sys.modules["__main__"])
    sys.exit(main())
