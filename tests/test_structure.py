"""Where the code lives: the math never imports the machinery, and the library never imports training/.

The reference layers, losses and optimizers import neither ``numpygan.runtime``
(threads, floating-point mode, allocator) nor ``numpygan.fast``; the fast twins
and the runtime import nothing from ``numpygan.training``.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "numpygan"


def imported_modules(path):
    """Absolute names of the numpygan modules that ``path`` imports (relative imports resolved)."""
    package = ["numpygan", *path.relative_to(PACKAGE).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.update(f"{module}.{alias.name}" for alias in node.names)
            names.add(module)
    return {name for name in names if name.startswith("numpygan")}


def files(*folders):
    return [path for folder in folders for path in sorted((PACKAGE / folder).rglob("*.py"))]


@pytest.mark.parametrize("path", files("layers", "losses", "optimizers"), ids=lambda p: p.name)
def test_the_math_imports_no_machinery(path):
    forbidden = [name for name in imported_modules(path)
                 if name.startswith(("numpygan.runtime", "numpygan.fast", "numpygan.training"))]
    assert not forbidden, f"{path.relative_to(PACKAGE.parent)} imports {forbidden}"


@pytest.mark.parametrize("path", files("fast", "runtime") + [PACKAGE / "models.py", PACKAGE / "parameter.py",
                                                               PACKAGE / "sequential.py", PACKAGE / "gradcheck.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_library_core_imports_nothing_from_training(path):
    forbidden = [name for name in imported_modules(path) if name.startswith("numpygan.training")]
    assert not forbidden, f"{path.relative_to(PACKAGE.parent)} imports {forbidden}"
