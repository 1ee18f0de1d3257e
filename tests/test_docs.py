"""docs/backprop.md links to the lines of the code it derives: every titled link must point at what it names."""

import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_updater():
    spec = importlib.util.spec_from_file_location("update_links", ROOT / "docs" / "update_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_line_link_of_the_backprop_guide_points_at_what_it_names():
    updater = load_updater()
    text = updater.GUIDE.read_text()
    links = updater.LINK.findall(text)
    assert len(links) >= 20
    stale = [f"{path} {target}: L{a}-L{b}, now {updater.line_range(path, target)}"
             for path, a, b, target in links if updater.line_range(path, target) != (int(a), int(b))]
    assert not stale, "stale links in docs/backprop.md (run `python docs/update_links.py`): " + "; ".join(stale)


def test_every_relative_link_of_the_guide_names_an_existing_file():
    text = (ROOT / "docs" / "backprop.md").read_text()
    for target in re.findall(r"\]\(\.\./([^)#\s]+)", text):
        assert (ROOT / target).exists(), target
