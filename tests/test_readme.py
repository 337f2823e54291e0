"""The README's Python examples run as shown, and print what the README says they print."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```\n(?:\nprints `([^`]*)`)?", README.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize(("code", "printed"), BLOCKS, ids=[f"block{n}" for n in range(len(BLOCKS))])
def test_readme_example_runs(code, printed, capsys):
    exec(compile(code, str(README), "exec"), {})  # noqa: S102 (the README's own examples, run as written)
    if printed:
        assert capsys.readouterr().out.strip() == printed


def test_the_quick_start_states_its_output():
    assert sum(bool(printed) for _, printed in BLOCKS) >= 1
