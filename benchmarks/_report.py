"""Helpers the benchmark scripts share: machine description, doc sections."""
import platform
import re


def cpu_name() -> str:
    """The CPU model as ``/proc/cpuinfo`` names it (platform's otherwise)."""
    try:
        with open('/proc/cpuinfo') as f:
            found = re.search(r'model name\s*:\s*(.+)', f.read())
        return found.group(1).strip() if found else platform.processor()
    except OSError:
        return platform.processor()


def write_section(path: str, name: str, table: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end
    -->`` in the markdown file ``path`` with ``table``."""
    start, end = f'<!-- {name}:start -->', f'<!-- {name}:end -->'
    with open(path) as f:
        text = f.read()
    if start not in text or end not in text:
        raise ValueError(f'{path} has no {start} … {end} markers')
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, 'w') as f:
        f.write(f'{head}{start}\n{table}\n{end}{tail}')
