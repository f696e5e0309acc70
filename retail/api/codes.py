"""Which error codes an API operation can answer, derived from the code it runs.

An operation's OpenAPI lists its error codes (retail.api.schema). Written by hand the lists drift
(orders raised 37 codes and documented 23), so they are read from the program instead: starting
at the view's handler, every function of ours it names is followed (module functions, methods of
the view, of classes it names, functions imported inside a function, closures), and every
`ErrorCode` member named on the way is collected. That over-approximates (a member that is only
compared, or a lower layer's error that a caller converts, is listed too) and can miss a call
made through an instance attribute (`order.customer.do()`); a view declares what the walk cannot
see with `@raises(...)`. The fuzz run checks every error answered against the operation's list.
"""

import dis
import importlib
import inspect
import types
from functools import cache

from rest_framework import serializers

from retail.errors import ErrorCode

PROJECT_PACKAGES = ("retail", "inventory", "customers", "orders", "insights", "webhooks")
# Constructing one of our classes runs these of its own methods.
_ON_CONSTRUCTION = ("__init__", "__post_init__", "__new__", "__call__")
_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"}


def raises(*codes: ErrorCode):
    """Declare codes a view's handler answers that the walk cannot see (calls through instances)."""

    def decorate(handler):
        handler.declared_codes = (*getattr(handler, "declared_codes", ()), *codes)
        return handler

    return decorate


def _ours(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".", 1)[0] in PROJECT_PACKAGES


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _resolve_global(func, name: str):
    if name in func.__globals__:
        return func.__globals__[name]
    return None


def _resolve_free(func, name: str):
    try:
        index = func.__code__.co_freevars.index(name)
        return func.__closure__[index].cell_contents
    except (ValueError, IndexError, TypeError):
        return None


def _named_objects(func, owner: type | None) -> list:
    """Every object the function's code names through globals, closures, imports and `self.`/`cls.`."""
    named = []
    for code in _code_objects(func.__code__):
        local: dict[str, object] = {}
        current = None
        module = None
        instructions = list(dis.get_instructions(code))
        for index, ins in enumerate(instructions):
            op, arg = ins.opname, ins.argval
            if op in {"LOAD_GLOBAL", "LOAD_NAME"}:
                current = _resolve_global(func, arg)
            elif op == "LOAD_DEREF":
                current = _resolve_free(func, arg)
            elif op in _LOADS:  # a local: `self`/`cls` of a method, or a name imported inside the function
                current = owner if arg in {"self", "cls"} and owner is not None else local.get(arg)
            elif op == "LOAD_ATTR" and current is not None:
                current = inspect.getattr_static(current, arg, None)
                if isinstance(current, (staticmethod, classmethod)):
                    current = current.__func__
            elif op == "IMPORT_NAME":
                module = _import(arg)
                current = module
            elif op == "IMPORT_FROM" and module is not None:
                current = getattr(module, arg, None) or _import(f"{module.__name__}.{arg}")
                following = instructions[index + 1] if index + 1 < len(instructions) else None
                if following is not None and following.opname in {"STORE_FAST", "STORE_NAME", "STORE_DEREF"}:
                    local[following.argval] = current
            else:
                current = None
                continue
            if current is not None:
                named.append(current)
    return named


def _import(name: str):

    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@cache
def _function_codes(func, owner: type | None) -> frozenset:
    return frozenset(_walk(func, owner))


def _walk(root, owner) -> set[ErrorCode]:
    found: set[ErrorCode] = set()
    seen: set[int] = set()
    stack = [(root, owner)]
    while stack:
        func, cls = stack.pop()
        func = inspect.unwrap(func)
        if id(func) in seen or not isinstance(func, types.FunctionType):
            continue
        seen.add(id(func))
        for obj in _named_objects(func, cls):
            if isinstance(obj, ErrorCode):
                found.add(obj)
            elif isinstance(obj, type) and _ours(obj):
                if issubclass(obj, ErrorCode):
                    continue
                default = getattr(obj, "default_code", None)
                if isinstance(default, ErrorCode):  # raising a class that carries its own code
                    found.add(default)
                for name in _ON_CONSTRUCTION:
                    method = obj.__dict__.get(name)
                    if isinstance(method, types.FunctionType):
                        stack.append((method, obj))
                stack.extend(_serializer_hooks(obj))
            elif callable(obj) and _ours(obj):
                target = obj.__func__ if isinstance(obj, types.MethodType) else obj
                within = getattr(target, "within", None)  # inventory's restock_return: the unwrapped body
                stack.append((target, cls if _is_method_of(target, cls) else None))
                if isinstance(within, types.FunctionType):
                    stack.append((within, None))
    return found


def _serializer_hooks(cls: type) -> list:
    """A serializer's own validation (validate, validate_<field>, to_internal_value), its fields' and
    its nested serializers' (a serializer may refuse a rule across fields with a domain code)."""

    if not issubclass(cls, serializers.BaseSerializer):
        return []
    hooks, seen, stack = [], set(), [cls]
    while stack:
        klass = stack.pop()
        if klass in seen:
            continue
        seen.add(klass)
        for owner in klass.__mro__:
            if not _ours(owner):
                continue
            for name, member in vars(owner).items():
                if isinstance(member, types.FunctionType) and (
                    name.startswith("validate") or name in {"to_internal_value", "run_validation"}
                ):
                    hooks.append((member, owner))
        for field in getattr(klass, "_declared_fields", {}).values():
            for part in (field, getattr(field, "child", None)):
                if part is not None and _ours(type(part)):
                    stack.append(type(part))
    return hooks


def _is_method_of(func, cls) -> bool:
    return cls is not None and any(func is vars(klass).get(func.__name__) for klass in cls.__mro__)


def codes_of_handler(view_class: type, method: str) -> set[ErrorCode]:
    """The codes a view's handler (`get`, `post`, ...) can answer, walked plus declared."""
    handler = getattr(view_class, method.lower(), None)
    if handler is None:
        return set()
    found = set(_function_codes(handler, view_class))
    # The view's own hooks that DRF calls around the handler: querysets, objects, serializers.
    for hook in ("get_queryset", "get_object", "get_serializer_class", "initial", "paginate_queryset"):
        own = next((vars(k)[hook] for k in view_class.__mro__ if hook in vars(k) and _ours(k)), None)
        if own is not None:
            found |= _function_codes(own, view_class)
    found.update(getattr(handler, "declared_codes", ()))
    return found
