"""Adversarial Pulse messages for tests/reliability/test_pulse_fuzz.py (and `bin/bench pulse_fuzz`).

`bad_message()` is a hypothesis strategy of `Fuzzed` messages: what to publish (raw body bytes and
AMQP properties, to which exchange, with which routing key) and the one outcome it must have, known
by construction, not by asking the code under test:

* the listener refuses it (`pulse_malformed_messages{listener, reason}`, one line in that listener's
  log): not JSON, invalid UTF-8, another content type, kombu's type markers, too large, too deep;
* the worker rejects it (`pulse_task_rejected{reason}` / `pulse_push_rejected{reason}`, one line in
  the worker's log): valid JSON of the wrong shape or types, huge strings, unknown tasks, unknown
  repositories, pushlog URLs of another host, unknown exchanges (bound to a real one, so that the
  message reaches the listener with its own exchange name);
* RabbitMQ drops it: published to an exchange nothing is bound to.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from apps.core.metrics import metric_key
from apps.jobs.services.taskcluster import TASK_EXCHANGES
from apps.pushes.services.loaders import GITHUB_PR_EXCHANGE, GITHUB_PUSH_EXCHANGE, HG_EXCHANGE, PUSH_EXCHANGES
from devtools.replay import sample_task_messages
from devtools.samples import sample_read
from workers.pulse.listener import MAX_BODY_BYTES, MAX_BODY_DEPTH, PUSHES, TASKS

# Exchanges of the fuzzer's own: the first two are bound to a real exchange (exchange-to-exchange
# bindings keep the exchange a message was published to in its delivery), the third to nothing.
UNKNOWN_TASK_EXCHANGE = "exchange/fuzz/v1/task-unheard-of"
UNKNOWN_PUSH_EXCHANGE = "exchange/fuzz/v1/push-unheard-of"
UNBOUND_EXCHANGE = "exchange/fuzz/v1/unbound"
FUZZ_BINDINGS = (
    (UNKNOWN_TASK_EXCHANGE, f"{next(iter(TASK_EXCHANGES))}"),
    (UNKNOWN_PUSH_EXCHANGE, HG_EXCHANGE),
)
JSON = "application/json"


@dataclass(frozen=True)
class Outcome:
    kind: str  # "malformed" (the listener), "task" or "push" (the worker), "dropped" (RabbitMQ)
    reason: str
    listener: str = ""  # for "malformed": the listener's name

    @property
    def metric(self) -> str:
        if self.kind == "malformed":
            return metric_key("pulse_malformed_messages", listener=self.listener, reason=self.reason)
        return metric_key(f"pulse_{self.kind}_rejected", reason=self.reason)

    @property
    def log_prefix(self) -> str:
        if self.kind == "malformed":
            return f"Pulse message rejected ({self.reason})"
        return f"{self.kind} message rejected ({self.reason})"


@dataclass(frozen=True)
class Fuzzed:
    exchange: str
    routing_key: str
    body: bytes
    content_type: str | None
    content_encoding: str | None
    outcome: Outcome
    category: str


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


# -- building blocks --------------------------------------------------------------------------------
# Keys never start with "__": {"__type__", "__value__"} objects are kombu's type markers, a category
# of their own below.
keys = st.text(max_size=12).filter(lambda key: not key.startswith("__"))
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=8
)
not_objects = scalars | st.lists(json_values, max_size=4)
# Routing keys: AMQP short strings (at most 255 bytes; 60 characters are at most 240).
# Drawn text costs hypothesis about a millisecond: half of them come from a list.
routing_keys = st.sampled_from(["", "#", "primary.#", "route.tc-treeherder.v2.try.0a1b", "k" * 255]) | st.text(
    max_size=60
)
task_exchanges = st.sampled_from(sorted(TASK_EXCHANGES))
push_exchanges = st.sampled_from(PUSH_EXCHANGES)
# A huge string, built from one drawn character (hypothesis would take minutes to draw 100,000).
# At most 150,000: six bytes a character once escaped (a control character), still under MAX_BODY_BYTES.
huge_strings = st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(10_000, 150_000))
TASK_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@cache
def sample_tasks() -> list[dict[str, Any]]:
    return sample_task_messages()


@cache
def sample_hg_push() -> dict[str, Any]:
    return sample_read("hg_push")


def nested(depth: int, leaf: Any, as_objects: bool) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value} if as_objects else [value]
    return value


def _json_message(
    exchange: str, routing_key: str, body: Any, outcome: Outcome, category: str, content_type: str | None = JSON
) -> Fuzzed:
    return Fuzzed(exchange, routing_key, dumps(body), content_type, "utf-8", outcome, category)


def _replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the value at `path` replaced."""
    copy: Any = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return dict(copy)


# -- the worker's rejections ------------------------------------------------------------------------
INVALID_TASK = Outcome("task", "invalid_message")
INVALID_PUSH = Outcome("push", "invalid_message")


def _wrong_types(expected: str) -> st.SearchStrategy[Any]:
    """Values that are not of the JSON schema type `expected` (and not an integral float, which a
    schema's "integer" may accept)."""
    text = st.text(max_size=20)
    lists = st.lists(scalars, max_size=3)
    objects = st.dictionaries(keys, scalars, max_size=3)
    others = {
        "object": st.none() | st.booleans() | st.integers() | text | lists,
        "array": st.none() | st.booleans() | st.integers() | text | objects,
        "string": st.none() | st.booleans() | st.integers() | lists | objects,
        "integer": st.none()
        | st.booleans()
        | text
        | lists
        | objects
        | st.floats(-1e6, 1e6).filter(lambda x: not x.is_integer()),
    }
    return others[expected]


@st.composite
def task_wrong_types(draw: st.DrawFn) -> Fuzzed:
    """A sample queue message with one field the schema checks replaced by a value of another type
    (or, for the task id, a string that is not a slug id)."""
    message = draw(st.sampled_from(sample_tasks()))
    body = message["body"]
    runs = len(body["status"]["runs"])
    run = draw(st.integers(0, runs - 1)) if runs else 0
    choices: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
        (("status",), _wrong_types("object")),
        (("status", "taskId"), _wrong_types("string") | st.text(max_size=40).filter(lambda t: len(t) != 22)),
        (("status", "runs"), _wrong_types("array")),
        (("runId",), _wrong_types("integer") | st.integers(max_value=-1)),
    ]
    if runs:
        choices += [
            (("status", "runs", run), _wrong_types("object")),
            (("status", "runs", run, "runId"), _wrong_types("integer") | st.integers(max_value=-1)),
            (("status", "runs", run, "state"), _wrong_types("string")),
        ]
    path, values = draw(st.sampled_from(choices))
    body = _replaced(body, path, draw(values))
    return _json_message(
        draw(task_exchanges), draw(routing_keys), body, INVALID_TASK, "task: a field of the wrong type"
    )


@st.composite
def task_huge_strings(draw: st.DrawFn) -> Fuzzed:
    """A sample message whose task id (or a field nobody checks, with its task id broken) is huge."""
    message = draw(st.sampled_from(sample_tasks()))
    huge = draw(huge_strings)
    if draw(st.booleans()):
        body = _replaced(message["body"], ("status", "taskId"), huge)
    else:
        body = _replaced(message["body"], ("workerId",), huge)
        body = _replaced(body, ("status", "taskId"), draw(st.integers()))
    return _json_message(draw(task_exchanges), draw(routing_keys), body, INVALID_TASK, "task: huge strings")


@st.composite
def task_unknown_tasks(draw: st.DrawFn) -> Fuzzed:
    """The right shape, a task id nobody defined: its definition is a 404, a final rejection."""
    task_id = draw(st.text(alphabet=TASK_ID_ALPHABET, min_size=22, max_size=22))
    body = {
        "status": {"taskId": task_id, "runs": [{"runId": 0, "state": "pending"}], "extra": draw(json_values)},
        "runId": 0,
        "workerId": draw(st.text(max_size=20)),
    }
    return _json_message(
        draw(task_exchanges), draw(routing_keys), body, Outcome("task", "definition_not_found"), "task: unknown task"
    )


@st.composite
def push_bodies(draw: st.DrawFn) -> tuple[str, Any, Outcome, str]:
    """(exchange, body, outcome, category) of push messages the loaders refuse."""
    hg_url = sample_hg_push()["payload"]["repo_url"]  # the repository of an active one (try)
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(push_exchanges), draw(not_objects), INVALID_PUSH, "push: not an object"
    if kind == 1:
        body = draw(st.dictionaries(keys.filter(lambda k: k not in ("payload", "details")), json_values, max_size=4))
        return draw(push_exchanges), body, INVALID_PUSH, "push: no payload or details"
    if kind == 2:
        payload = draw(_wrong_types("object"))
        return HG_EXCHANGE, {"payload": payload}, INVALID_PUSH, "push: payload of the wrong type"
    if kind == 3:
        body = {"payload": {"repo_url": draw(st.text(max_size=80)), "pushlog_pushes": draw(json_values)}}
        return HG_EXCHANGE, body, Outcome("push", "unknown_repository"), "push: unknown repository"
    if kind == 4:
        # Built, not drawn free: urlsplit() refuses some strings (a "[" in the host), which is then
        # an invalid_message instead.
        url = draw(
            st.builds(
                "https://{}.example.com/{}/json-pushes?endID={}".format,
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20),
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", max_size=20),
                st.integers(),
            )
        )
        body = {"payload": {"repo_url": hg_url, "pushlog_pushes": [{"push_full_json_url": url}]}}
        return HG_EXCHANGE, body, Outcome("push", "invalid_push_url"), "push: pushlog URL of another host"
    details = draw(
        st.dictionaries(keys.filter(lambda k: not k.startswith("event.")), json_values, max_size=3)
        | _wrong_types("object")
    )
    exchange = draw(st.sampled_from((GITHUB_PUSH_EXCHANGE, GITHUB_PR_EXCHANGE)))
    return exchange, {"details": details}, INVALID_PUSH, "push: GitHub details without the event"


@st.composite
def push_rejections(draw: st.DrawFn) -> Fuzzed:
    exchange, body, outcome, category = draw(push_bodies())
    return _json_message(exchange, draw(routing_keys), body, outcome, category)


@st.composite
def task_shapes(draw: st.DrawFn) -> Fuzzed:
    """Valid JSON of the wrong shape: not an object, or an object without `status`."""
    if draw(st.booleans()):
        body: Any = draw(not_objects)
        category = "task: not an object"
    else:
        body = draw(st.dictionaries(keys.filter(lambda k: k != "status"), json_values, max_size=4))
        category = "task: no status"
    return _json_message(draw(task_exchanges), draw(routing_keys), body, INVALID_TASK, category)


@st.composite
def unknown_exchanges(draw: st.DrawFn) -> Fuzzed:
    """A valid body, published to an exchange ingestion does not take (bound to a real one)."""
    if draw(st.booleans()):
        body = draw(st.sampled_from(sample_tasks()))["body"]
        return _json_message(
            UNKNOWN_TASK_EXCHANGE, draw(routing_keys), body, Outcome("task", "unknown_exchange"), "unknown exchange"
        )
    return _json_message(
        UNKNOWN_PUSH_EXCHANGE, draw(routing_keys), sample_hg_push(), Outcome("push", "unknown_exchange"),
        "unknown exchange",
    )  # fmt: skip


@st.composite
def unbound_exchanges(draw: st.DrawFn) -> Fuzzed:
    body = draw(json_values)
    return _json_message(UNBOUND_EXCHANGE, draw(routing_keys), body, Outcome("dropped", "unbound"), "unbound exchange")


# -- the listeners' refusals ------------------------------------------------------------------------
@st.composite
def listener_refusals(draw: st.DrawFn) -> Fuzzed:
    """Bodies the listeners refuse, on a task or a push exchange."""
    on_tasks = draw(st.booleans())
    exchange = draw(task_exchanges if on_tasks else push_exchanges)
    listener = (TASKS if on_tasks else PUSHES).name
    routing_key = draw(routing_keys)

    def refused(
        body: bytes, reason: str, category: str, content_type: str | None = JSON, encoding: str | None = "utf-8"
    ) -> Fuzzed:
        return Fuzzed(
            exchange, routing_key, body, content_type, encoding, Outcome("malformed", reason, listener), category
        )

    kind = draw(st.integers(0, 6))
    if kind == 0:  # invalid UTF-8 somewhere in an otherwise JSON-looking body
        junk = draw(st.binary(max_size=40))
        at = draw(st.integers(0, len(junk)))
        return refused(b'{"status": "' + junk[:at] + b"\xff" + junk[at:] + b'"}', "undecodable", "invalid UTF-8")
    if kind == 1:  # not JSON: nothing that ends in "{" is
        return refused(draw(st.text(max_size=60)).encode() + b"{", "undecodable", "not JSON")
    if kind == 2:  # another content type (or none: kombu would hand the raw bytes over)
        content_type = draw(
            st.sampled_from([None, "application/data", "application/text", "text/plain", "application/x-yaml"])
            | st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and t != JSON)
        )
        return refused(dumps(draw(json_values)), "undecodable", "content type", content_type)
    if kind == 3:  # pickle, which a consumer accepting it would execute
        return refused(
            pickle.dumps({"status": draw(scalars)}), "undecodable", "pickle", "application/x-python-serialize", "binary"
        )
    if kind == 4:  # kombu's type markers: decoded into datetimes, bytes... or refused by its decoder
        marker = {
            "__type__": draw(st.sampled_from(["datetime", "uuid", "bytes", "decimal", "base64", "nope"])),
            "__value__": draw(scalars),
        }
        body = {"status": marker} if draw(st.booleans()) else marker
        return refused(dumps(body), "undecodable", "kombu type markers")
    if kind == 5:  # nested past MAX_BODY_DEPTH, anywhere
        depth = draw(st.integers(MAX_BODY_DEPTH + 1, 1000))
        body = nested(depth, draw(scalars), draw(st.booleans()))
        if draw(st.booleans()):
            body = {"status": {"taskId": "x", "runs": []}, "extra": body}
        return refused(dumps(body), "too_deep", "deep nesting")
    # Nested past what Python's JSON decoder takes (its C recursion limit, about 1,500 levels).
    depth = draw(st.integers(3_000, 20_000))
    return refused(b"[" * depth + b"]" * depth, "undecodable", "nesting past the decoder")


@st.composite
def oversized(draw: st.DrawFn) -> Fuzzed:
    """Over MAX_BODY_BYTES: refused by the listener before it joins a batch."""
    on_tasks = draw(st.booleans())
    size = draw(st.integers(MAX_BODY_BYTES + 1, MAX_BODY_BYTES + 200_000))
    body = {"status": draw(st.characters(codec="utf-8")) * (size // 4 + 1)}  # up to 4 bytes a character
    outcome = Outcome("malformed", "too_large", (TASKS if on_tasks else PUSHES).name)
    encoded = dumps(body)
    if len(encoded) <= MAX_BODY_BYTES:  # one-byte characters: pad to the size drawn
        encoded = dumps({"status": "x" * size})
    exchange = draw(task_exchanges if on_tasks else push_exchanges)
    return Fuzzed(exchange, draw(routing_keys), encoded, JSON, "utf-8", outcome, "too large")


def bad_message() -> st.SearchStrategy[Fuzzed]:
    """One adversarial message of a few hundred bytes at most (or, nested past the decoder, 40 KB),
    from every category above but the heavy ones."""
    return st.one_of(
        task_shapes(),
        task_wrong_types(),
        task_wrong_types(),
        task_unknown_tasks(),
        push_rejections(),
        push_rejections(),
        unknown_exchanges(),
        unbound_exchanges(),
        listener_refusals(),
        listener_refusals(),
    )


def heavy_message() -> st.SearchStrategy[Fuzzed]:
    """Huge strings (10 KB to 800 KB, refused by the worker) and bodies over MAX_BODY_BYTES
    (refused by the listener): the test mixes a few of these in."""
    return task_huge_strings() | oversized()


def oversized_multibyte() -> list[Fuzzed]:
    """Bodies over MAX_BODY_BYTES in bytes but not in characters (two-, three- and four-byte UTF-8),
    on both listeners, published in every run whatever hypothesis draws: py-amqp hands the listener
    a decoded str, and counting its characters let these through to the worker (issue 15's fuzzing)."""
    fixed = []
    for char in ("é", "€", "😀"):
        body = dumps({"status": char * (MAX_BODY_BYTES // len(char.encode()) + 1)})
        for spec, exchange in ((TASKS, sorted(TASK_EXCHANGES)[0]), (PUSHES, PUSH_EXCHANGES[0])):
            outcome = Outcome("malformed", "too_large", spec.name)
            fixed.append(Fuzzed(exchange, "primary.#", body, JSON, "utf-8", outcome, "too large"))
    return fixed
