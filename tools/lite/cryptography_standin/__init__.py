"""Stand-in for ``cryptography`` in the in-browser Kinesis course (JupyterLite + Pyodide).

Why: no browser build of cryptography can be had from a package registry, and moto imports
it at module level. Here every ``cryptography.*`` module and name resolves, classes can be
made, and any real cryptographic operation raises :class:`NotAvailableInBrowser` with one
line saying so. ``generate_private_key`` gives a key that refuses every use: moto makes one
for every KMS key it creates, so CreateKey works and the key's metadata with it. No lesson of
the course needs real cryptography; KMS Encrypt/Decrypt/Sign, IAM certificates and EC2 key
pairs need it, and fail in the browser with that line.

Made by tools/lite/standins.py in the kinesis-lab repository (MIT licence).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types

__version__ = "35.0.0+browser"
BROWSER_STANDIN = True

MESSAGE = (
    "{what} needs real cryptography, which is not available in the browser (JupyterLite): "
    "run this lab on your machine (`make lab`) to use it."
)
# Names that are modules in the real package (imported as modules, not made as classes).
SUBMODULES = frozenset(
    "hazmat primitives asymmetric backends hashes serialization rsa ec dsa dh padding ed25519 "
    "ed448 x25519 x448 x509 oid extensions ciphers algorithms modes aead twofactor totp hotp "
    "_oid _asymmetric exceptions fernet kdf hmac cmac keywrap constant_time pkcs7 pkcs12 ssh "
    "utils bindings openssl backend certificate_transparency verification".split()
)
# Module-level functions that only pick a default and are safe to call.
HARMLESS = frozenset({"default_backend"})
# generate_private_key() of these modules makes a key (of the module's key class) that
# refuses every operation: generating is not using, and moto generates a key per KMS key.
PRIVATE_KEY_CLASSES = {
    "rsa": "RSAPrivateKey",
    "ec": "EllipticCurvePrivateKey",
    "dsa": "DSAPrivateKey",
    "dh": "DHPrivateKey",
}


class NotAvailableInBrowser(RuntimeError):
    """A real cryptographic operation was asked for in the browser."""


def _fail(what: str):
    raise NotAvailableInBrowser(MESSAGE.format(what=what))


def _is_exception(name: str) -> bool:
    return name.startswith(("Invalid", "Unsupported", "Already", "NotYet", "Duplicate")) or (
        name.endswith(("Error", "Exception", "NotFound"))
    )


class _StandInType(type):
    """Class attributes (``Encoding.PEM``, ``NameOID.COMMON_NAME``) are stand-ins too."""

    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _standin(f"{cls.__module__}.{cls.__qualname__}", name)


class StandIn(metaclass=_StandInType):
    """Made freely; any method call is a real operation, so it raises."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def operation(*args, **kwargs):
            _fail(f"{type(self).__qualname__}.{name}()")

        return operation


_made: dict[tuple[str, str], object] = {}


def _operation(what: str, name: str):
    """A module-level function of the real package (generate_private_key, load_pem_…)."""

    def operation(*args, **kwargs):
        _fail(what)

    operation.__name__ = operation.__qualname__ = name
    return operation


def _key_generator(owner: str, name: str):
    """``generate_private_key`` of rsa/ec/dsa/dh: a key object whose every use raises."""

    def generate_private_key(*args, **kwargs):
        return _standin(owner, PRIVATE_KEY_CLASSES[owner.rsplit(".", 1)[-1]])()

    generate_private_key.__name__ = generate_private_key.__qualname__ = name
    return generate_private_key


def _standin(owner: str, name: str):
    """The one stand-in for ``owner.name`` (the same object each time, so except/isinstance
    work)."""
    key = (owner, name)
    if key not in _made:
        if _is_exception(name):
            made = type(name, (Exception,), {"__module__": owner})
        elif name == "generate_private_key" and owner.rsplit(".", 1)[-1] in PRIVATE_KEY_CLASSES:
            made = _key_generator(owner, name)
        elif name[:1].islower() and name not in HARMLESS:
            made = _operation(f"{owner.rsplit('.', 1)[-1]}.{name}()", name)
        else:
            made = _StandInType(name, (StandIn,), {"__module__": owner, "__qualname__": name})
        _made[key] = made
    return _made[key]


class _StandInModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in SUBMODULES:
            return importlib.import_module(f"{self.__name__}.{name}")
        return _standin(self.__name__, name)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes any ``cryptography.*`` module on demand."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(__name__ + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.append(_Finder())


def __getattr__(name):
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name.startswith("__"):
        raise AttributeError(name)
    return _standin(__name__, name)
