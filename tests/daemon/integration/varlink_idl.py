# SPDX-License-Identifier: LGPL-2.1-or-later
"""Just enough of the varlink interface definition language to check the
daemon's replies against varlink/io.memranged.varlink.

Parses "interface", "type", "method" and "error" declarations with struct,
enum, optional (?), array ([]), map ([string]) and named types, and
validates a JSON value against a type: every member the IDL requires is
there with the right type, and no member is there that the IDL does not
declare (the daemon must describe what it sends). Also finds what
sd-varlink refuses in an interface: a named type inside an anonymous
struct.
"""
import re

_TOKEN = re.compile(r"\s*(?:(#[^\n]*)|(->)|(\[\])|(\[string\])|([A-Za-z_][A-Za-z0-9_.]*)|([():,?]))")
BASIC = {"bool", "int", "float", "string", "object"}


class IdlError(Exception):
    pass


def _tokens(text):
    pos, out = 0, []
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise IdlError(f"cannot parse the IDL at {text[pos:pos + 40]!r}")
        pos = m.end()
        if m.group(1) is None:
            out.append(m.group(0).strip())
    return out


class Interface:
    def __init__(self, text):
        self.types, self.methods, self.errors = {}, {}, {}
        self._t = _tokens(text)
        self._i = 0
        self._expect("interface")
        self.name = self._next()
        while self._i < len(self._t):
            kind = self._next()
            name = self._next()
            if kind == "type":
                self.types[name] = self._type()
            elif kind == "method":
                params = self._struct()
                self._expect("->")
                self.methods[name] = (params, self._struct())
            elif kind == "error":
                self.errors[name] = self._struct()
            else:
                raise IdlError(f"unknown declaration {kind!r}")

    def _next(self):
        if self._i >= len(self._t):
            raise IdlError("unexpected end of the IDL")
        self._i += 1
        return self._t[self._i - 1]

    def _peek(self):
        return self._t[self._i] if self._i < len(self._t) else None

    def _expect(self, token):
        got = self._next()
        if got != token:
            raise IdlError(f"expected {token!r}, got {got!r}")

    def _struct(self):
        """("struct", {name: type}) or ("enum", [names])."""
        self._expect("(")
        fields, names = {}, []
        while self._peek() != ")":
            name = self._next()
            if self._peek() == ":":
                self._next()
                fields[name] = self._type()
            else:
                names.append(name)
            if self._peek() == ",":
                self._next()
        self._next()
        if names and fields:
            raise IdlError("a struct mixes enum values and fields")
        return ("enum", names) if names else ("struct", fields)

    def _type(self):
        t = self._peek()
        if t == "?":
            self._next()
            return ("optional", self._type())
        if t == "[]":
            self._next()
            return ("array", self._type())
        if t == "[string]":
            self._next()
            return ("map", self._type())
        if t == "(":
            return self._struct()
        self._next()
        return ("basic", t) if t in BASIC else ("ref", t)

    # ---- what sd-varlink accepts ----

    def anonymous_structs_with_named_types(self):
        """Where an anonymous struct (the type of a member, not of a
        declaration) holds a named type: sd-varlink (systemd 257) resolves
        named types only in named structs and refuses such an interface
        ("No target symbol for field ..."). A list of member paths."""
        found = []

        def holds_ref(typ):
            kind, arg = typ
            if kind == "ref":
                return True
            if kind in ("optional", "array", "map"):
                return holds_ref(arg)
            return False

        def walk(typ, path, top):
            kind, arg = typ
            if kind in ("optional", "array", "map"):
                walk(arg, path, False)
            elif kind == "struct":
                if not top and any(holds_ref(t) for t in arg.values()):
                    found.append(path)
                for name, t in arg.items():
                    walk(t, f"{path}.{name}", False)

        for name, typ in self.types.items():
            walk(typ, name, True)
        for name, (params, reply) in self.methods.items():
            walk(params, f"{name} parameters", True)
            walk(reply, f"{name} reply", True)
        for name, typ in self.errors.items():
            walk(typ, name, True)
        return found

    # ---- validation ----

    def check(self, value, typ, path="parameters"):
        """Raises IdlError naming the first member that does not conform."""
        kind, arg = typ
        if kind == "optional":
            if value is not None:
                self.check(value, arg, path)
        elif kind == "ref":
            if arg not in self.types:
                raise IdlError(f"{path}: unknown type {arg}")
            self.check(value, self.types[arg], path)
        elif kind == "basic":
            ok = {
                "bool": lambda v: isinstance(v, bool),
                "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
                "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
                "string": lambda v: isinstance(v, str),
                "object": lambda v: True,
            }[arg](value)
            if not ok:
                raise IdlError(f"{path}: {value!r} is not {arg}")
        elif kind == "array":
            if not isinstance(value, list):
                raise IdlError(f"{path}: not an array")
            for i, v in enumerate(value):
                self.check(v, arg, f"{path}[{i}]")
        elif kind == "map":
            if not isinstance(value, dict):
                raise IdlError(f"{path}: not a map")
            for k, v in value.items():
                self.check(v, arg, f"{path}[{k!r}]")
        elif kind == "enum":
            if value not in arg:
                raise IdlError(f"{path}: {value!r} is not one of {arg}")
        elif kind == "struct":
            self._check_struct(value, arg, path)

    def _check_struct(self, value, fields, path):
        if not isinstance(value, dict):
            raise IdlError(f"{path}: not an object")
        for name, t in fields.items():
            if name not in value and t[0] != "optional":
                raise IdlError(f"{path}: member {name!r} is missing")
            if name in value:
                self.check(value[name], t, f"{path}.{name}")
        extra = sorted(set(value) - set(fields))
        if extra:
            raise IdlError(f"{path}: members {extra} are not in the IDL")

    def check_reply(self, method, parameters):
        self.check(parameters, self.methods[method][1], f"{method} reply")

    def check_error(self, error, parameters):
        name = error.rsplit(".", 1)[1]
        if not error.startswith(self.name + ".") or name not in self.errors:
            raise IdlError(f"{error} is not an error of {self.name}")
        self.check(parameters, self.errors[name], f"{error} parameters")
