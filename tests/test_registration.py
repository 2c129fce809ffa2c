from __future__ import annotations

import pytest

from agentrl.errors import ConfigError, UnknownIdError
from agentrl.registration import Registry, parse_id


def test_parse_id():
    assert parse_id("gsm8k-v2") == ("gsm8k", 2)
    assert parse_id("guess-number") == ("guess-number", None)
    with pytest.raises(ConfigError, match="invalid id"):
        parse_id("bad id!")


def test_bare_name_resolves_latest_version_and_misses_suggest_close_names():
    reg: Registry[dict] = Registry("thing")
    reg.register("alpha-v0", dict, a=0)
    reg.register("alpha-v3", dict, a=3)
    reg.register("alpha-v1", dict, a=1)
    assert reg.resolve("alpha") == "alpha-v3"
    assert reg.make("alpha") == {"a": 3}
    assert reg.make("alpha-v1", b=2) == {"a": 1, "b": 2}
    with pytest.raises(UnknownIdError, match="Did you mean `alpha-v0`"):
        reg.spec("alpah-v0")
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("alpha-v0", dict)


def test_lazy_entry_point_is_imported_on_make():
    reg: Registry[object] = Registry("thing")
    reg.register("od-v0", "collections:OrderedDict")
    assert type(reg.make("od")).__name__ == "OrderedDict"
    reg.register("broken-v0", "collections:NoSuchThing")
    with pytest.raises(Exception, match="NoSuchThing"):
        reg.make("broken")
