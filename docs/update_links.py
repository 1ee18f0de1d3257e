"""Keep the line links of docs/backprop.md pointing at the code they name.

Each link to a line range carries, as its title, what it points at:

    [backward](../numpygan/layers/dense.py#L59-L67 "Dense.backward")

``Class``, ``Class.method``, ``function`` or ``docstring`` (the module's). Run
``python docs/update_links.py`` after editing the code to rewrite the line
numbers; ``tests/test_docs.py`` fails while any of them is stale.
"""

import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "backprop.md"
LINK = re.compile(r'\]\(\.\./(numpygan/[\w/]+\.py)#L(\d+)-L(\d+) "([\w.]+)"\)')


def line_range(path, target):
    """(first, last) line of ``target`` in the Python file ``path`` (relative to the repository root)."""
    tree = ast.parse((ROOT / path).read_text())
    if target == "docstring":
        node = tree.body[0]
        return node.lineno, node.end_lineno
    body = tree.body
    node = None
    for name in target.split("."):
        node = next((n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == name), None)
        if node is None:
            raise LookupError(f"{path}: no {target!r}")
        body = node.body
    return node.lineno, node.end_lineno


def updated(text):
    """``text`` with every titled line link's numbers set from the code."""
    def fix(match):
        path, target = match.group(1), match.group(4)
        first, last = line_range(path, target)
        return f'](../{path}#L{first}-L{last} "{target}")'
    return LINK.sub(fix, text)


if __name__ == "__main__":
    text = GUIDE.read_text()
    new = updated(text)
    GUIDE.write_text(new)
    print("docs/backprop.md: " + ("links updated" if new != text else "links already current"))
    sys.exit(0)
